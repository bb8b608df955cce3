"""The web fixtures (a migrated, seeded app per database kind; a logged-in client per role) for the HTTP fuzz."""
from tests.web.conftest import as_role, ticket_app, ticket_db  # noqa: F401
