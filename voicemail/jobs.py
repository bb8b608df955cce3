"""rq job: messages whose call was recorded late (facts parked in AstDB) become tickets too.

The hangup handler takes a message at once; when Python or the database was away at that
moment, calls.unrecorded writes the call record later with its ``voicemail_file`` and this
job takes it. Idempotent: a decided message (``voicemail_status`` set) is skipped.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from db.models import Call
from db.session import make_engine, make_session_factory, session_scope
from hotline.config import Settings, current_settings
from voicemail.intake import take

log = logging.getLogger(__name__)


def take_pending(settings: Settings, session_factory) -> int:
    """Every finished call with an undecided message; returns how many were decided."""
    with session_scope(session_factory) as session:
        pending = session.scalars(select(Call).where(Call.voicemail_file.is_not(None),
                                                     Call.voicemail_status.is_(None),
                                                     Call.ended_at.is_not(None)).order_by(Call.id)).all()
        for call in pending:
            take(session, call, settings)
        return len(pending)


def take_pending_voicemails() -> int:
    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        return take_pending(settings, make_session_factory(engine))
    finally:
        engine.dispose()
