"""Calls that happened while Python was away, turned into call records afterwards.

When the FastAGI server cannot be reached the dialplan still gets the citizen to
a human (fallback) and, at hangup, parks the call's facts in AstDB
(family ``hotline_unrecorded``, which survives an Asterisk restart). This job reads
them over AMI, writes one Call row each with outcome ``fallback`` (or completes
the row if Python saw part of the call), and deletes the AstDB entry only after
the commit: running it twice writes nothing twice.
"""
from __future__ import annotations

import datetime as dt
import logging

from db.models import CallOutcome
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from db.repositories import lines as line_repo
from db.session import session_scope
from hotline.ami import AmiClient
from hotline.config import Settings
from hotline.dialplan import sip_username_of

log = logging.getLogger(__name__)

FAMILY = "hotline_unrecorded"
FIELDS = ("arrived", "ended", "caller", "dialed", "trace", "member", "recording", "cause", "linkedid")


def parse_entry(value: str) -> dict[str, str]:
    parts = value.split("|")
    return dict(zip(FIELDS, parts + [""] * (len(FIELDS) - len(parts))))


def _when(epoch: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def record(session, uniqueid: str, facts: dict[str, str]) -> None:
    call = call_repo.get_by_uniqueid(session, uniqueid)
    if call is not None and call.ended_at is not None:
        return
    if call is None:
        line = line_repo.find_by_number(session, facts["dialed"])
        call = call_repo.open_call(session, uniqueid=uniqueid, linkedid=facts["linkedid"] or uniqueid,
                                   trace_id=facts["trace"] or None, channel=None, caller=facts["caller"],
                                   dialed_number=facts["dialed"], line=line, arrived_at=_when(facts["arrived"]),
                                   recording_file=facts["recording"] or None)
    if facts["member"] and call.agent is None:
        call.agent = agent_repo.by_sip_username(session, sip_username_of(facts["member"]))
    ended = _when(facts["ended"]) or call.arrived_at
    call_repo.close_call(call, outcome=CallOutcome.fallback, hangup_cause=facts["cause"] or None, at=ended)


def reconcile(settings: Settings, session_factory) -> int:
    """Move every parked call into the database; returns how many were recorded."""
    with AmiClient("127.0.0.1", settings.ports.ami, "hotline", settings.secrets["ami_secret"]) as ami:
        entries = [e for e in ami.action_list("DBGetTree", Family=FAMILY) if e.get("Event") == "DBGetTreeResponse"]
        done = 0
        for entry in entries:
            uniqueid = entry.get("Key", "").rsplit("/", 1)[-1]
            if not uniqueid:
                continue
            with session_scope(session_factory) as session:
                record(session, uniqueid, parse_entry(entry.get("Val", "")))
            ami.action("DBDel", Family=FAMILY, Key=uniqueid)
            done += 1
            log.info("recorded call %s that happened while Python was away", uniqueid)
    return done
