"""rq job: apply the staged changes whose moment has come (listed in ops/scheduler.py PERIODIC)."""
from __future__ import annotations

import functools
import logging

from centre_config import live, staging, versions
from db.session import session_factory_for, session_scope
from hotline.config import current_settings

log = logging.getLogger(__name__)


def apply_staged_changes() -> int:
    """Idempotent: a change applied once is marked applied; a second run finds nothing to do."""
    settings = current_settings()
    factory = _factory(settings.database_url)
    with session_scope(factory) as session:
        done = staging.apply_due(session)
        session.flush()
        changes = versions.pending_changes(session)
    for note in live.after_commit(settings, changes):
        log.info("%s", note)
    for row in done:
        log.info("staged change %s applied: %s %s %s", row.id, row.kind, row.key, row.changes)
    return len(done)


@functools.lru_cache(maxsize=4)
def _factory(url: str):
    return session_factory_for(url)
