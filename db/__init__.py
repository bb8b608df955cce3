"""Floor 2, persistence: SQLAlchemy models (with the state names repositories need), Alembic migrations,
sessions, one repository module per aggregate, seed data. Imports only ``hotline``."""
