"""Live figures against app_queue's own counters (QueueStatus → QueueParams).

app_queue counts, per queue and since Asterisk started (or ``queue reset
stats``): Completed (answered calls whose conversation ended), Abandoned, and
ServicelevelPerf = completed within the service level / completed × 100. The
call records must give the same for the same calls; Holdtime and TalkTime are
app_queue's running weighted averages, not sums, so they are shown, not compared.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Call, CallOutcome, Queue
from kpis.calls import DEFAULT_SERVICE_LEVEL


def record_counters(session: Session, since: dt.datetime | None = None) -> dict[str, dict]:
    """Per queue, from the call records: completed, abandoned, completed within the service level."""
    answered = and_(Call.answered_at.isnot(None), Call.ended_at.isnot(None))
    abandoned = and_(Call.answered_at.is_(None), Call.outcome == CallOutcome.abandoned)
    in_sl = and_(answered, func.coalesce(Call.wait_seconds, 0)
                 <= func.coalesce(Queue.service_level_seconds, DEFAULT_SERVICE_LEVEL))
    query = (select(Call.queue_name,
                    func.sum(case((answered, 1), else_=0)), func.sum(case((abandoned, 1), else_=0)),
                    func.sum(case((in_sl, 1), else_=0)))
             .select_from(Call).outerjoin(Queue, Queue.name == Call.queue_name)
             .where(Call.queue_joined_at.isnot(None)).group_by(Call.queue_name))
    if since is not None:
        query = query.where(Call.queue_joined_at >= since)
    return {name: {"completed": int(done or 0), "abandoned": int(gone or 0), "completed_in_sl": int(sl or 0)}
            for name, done, gone, sl in session.execute(query) if name}


def live_agreement(session: Session, queue_params: list[dict], since: dt.datetime | None = None) -> list[dict]:
    """One row per queue: the records' counters, app_queue's, and whether they agree."""
    ours = record_counters(session, since)
    rows = []
    for params in sorted(queue_params, key=lambda p: p.get("Queue", "")):
        name = params.get("Queue", "")
        mine = ours.get(name, {"completed": 0, "abandoned": 0, "completed_in_sl": 0})
        sl = round(100.0 * mine["completed_in_sl"] / mine["completed"], 1) if mine["completed"] else 0.0
        theirs = {"completed": int(params.get("Completed") or 0), "abandoned": int(params.get("Abandoned") or 0),
                  "servicelevel_perf": float(params.get("ServicelevelPerf") or 0)}
        records = {"completed": mine["completed"], "abandoned": mine["abandoned"], "servicelevel_perf": sl}
        differ = [k for k in records if abs(records[k] - theirs[k]) > (0.1 if k == "servicelevel_perf" else 0)]
        rows.append({"queue": name, "records": records, "asterisk": theirs, "differ": differ,
                     "asterisk_average_hold": int(params.get("Holdtime") or 0),
                     "asterisk_average_talk": int(params.get("TalkTime") or 0)})
    return rows
