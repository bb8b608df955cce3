"""Queue changes reach the running PBX by a reload of app_queue, never a restart.

A queue added or changed in the database (by an admin, `centre_config`) is
rendered into queues.conf and ``module reload app_queue`` makes Asterisk read
it: calls in progress, and agents logged in dynamically (QueueAdd), stay.
Until then the dialplan's QUEUE_EXISTS guard sends callers of a queue Asterisk
does not know yet to the 12345 queue.
"""
from __future__ import annotations

from db.session import session_factory_for, session_scope
from hotline.config import Settings
from ops.asterisk import binary, render


def reload_queues(settings: Settings) -> set[str]:
    """Re-render the PBX's configuration from the database, reload app_queue; the queues Asterisk now has."""
    pbx = render.instances(settings, binary.locate(settings.asterisk_root))[0]
    with session_scope(session_factory_for(settings.database_url)) as session:
        agents, queues = render.agents_and_queues(session)
        supervisors = render.supervisor_phones(settings, session)
    pbx.render(render.pbx_context(settings, agents, queues, supervisors))   # only app_queue reads it now
    pbx.cli("module reload app_queue")
    return known_queues(pbx)


def known_queues(pbx) -> set[str]:
    """Queue names in ``queue show`` (the first word of each queue's summary line)."""
    return {line.split()[0] for line in pbx.cli("queue show").splitlines()
            if " has " in line and "calls" in line and not line.startswith(" ")}
