"""One SQLAlchemy session per web request, closed at teardown.

A stream (SSE) is a request that lives for hours: it gives its session back with ``release()`` before it
waits or streams, and what it reads later it reads in a ``new_session()``, so an open page never holds a
pooled connection (web.live.event_stream).
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from db.session import make_engine, make_session_factory


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["hotline_sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close(exc):
        release()


def session():
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def release() -> None:
    """Close the request's session now: its connection goes back to the pool (objects loaded stay readable)."""
    db = g.pop("db_session", None)
    if db is not None:
        db.close()


def new_session() -> Session:
    """A session of its own, for work outside one request's lifetime: ``with new_session() as db:`` closes it."""
    return current_app.extensions["hotline_sessions"]()
