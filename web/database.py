"""One SQLAlchemy session per web request, closed at teardown."""
from __future__ import annotations

from flask import Flask, current_app, g

from db.session import make_engine, make_session_factory


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["hotline_sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close(exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def session():
    if "db_session" not in g:
        g.db_session = current_app.extensions["hotline_sessions"]()
    return g.db_session
