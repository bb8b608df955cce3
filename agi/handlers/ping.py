"""``agi://host/ping``: the health check `hotline up` / `status` use; touches the database."""
from sqlalchemy import text

from agi.request import AgiRequest


def handle(req: AgiRequest) -> None:
    req.session.execute(text("SELECT 1"))
