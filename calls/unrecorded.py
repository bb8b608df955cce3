"""Calls that happened while Python was away, turned into call records afterwards.

When the FastAGI server cannot be reached the dialplan still gets the citizen to
a human (fallback); when the hangup handler fails (database locked, slow or down)
the call goes on all the same. In both cases the dialplan parks the call's facts
at hangup in AstDB (family ``hotline_unrecorded``, which survives an Asterisk
restart). This job reads them over AMI, writes one Call row each (or completes
the row if Python saw part of the call) with the same rules as the hangup
handler (calls.closing): queue, answer, wait and talk times come from the
dialplan's own variables. A citizen's message (留言) is named here and taken
into a ticket by voicemail.jobs. It deletes the AstDB entry only after the commit:
running it twice writes nothing twice.
"""
from __future__ import annotations

import datetime as dt
import logging

from calls.closing import HangupFacts, close_with_facts
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from db.repositories import lines as line_repo
from db.session import session_scope
from hotline.ami import AmiClient
from hotline.config import Settings
from hotline.dialplan import sip_username_of

log = logging.getLogger(__name__)

FAMILY = "hotline_unrecorded"
# the order of the values in [hotline-hangup]'s Set(DB(hotline_unrecorded/...)); entries parked by an
# older dialplan have only the first nine
FIELDS = ("arrived", "ended", "caller", "dialed", "trace", "member", "recording", "cause", "linkedid",
          "fallback", "queue", "queue_start", "agent_answered", "transfer_kind", "dial_status",
          "transfer_answered", "end_reason", "voicemail", "voicemail_at", "virtual_hold")
OLD_FIELD_COUNT = 9


def parse_entry(value: str) -> dict[str, str]:
    parts = value.split("|")
    facts = dict(zip(FIELDS, parts + [""] * (len(FIELDS) - len(parts))))
    if len(parts) <= OLD_FIELD_COUNT:   # parked by the old dialplan: only Python-away calls were parked
        facts["fallback"] = "1"
    return facts


def _when(epoch: str) -> dt.datetime | None:
    """``"1795320446"`` or ``"1795320446.123"`` → naive UTC; None when empty or unusable."""
    return call_repo.epoch_to_utc(epoch) if epoch else None


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
    agent = None
    if facts["member"]:
        agent = agent_repo.by_sip_username(session, sip_username_of(facts["member"]))
        if call.agent is None:
            call.agent = agent
    ended = _when(facts["ended"]) or call.arrived_at
    close_with_facts(call, HangupFacts(
        ended_at=ended, cause=facts["cause"], end_reason=facts["end_reason"], fallback=facts["fallback"] == "1",
        queue=facts["queue"], queue_start=facts["queue_start"], agent_answered=facts["agent_answered"],
        transfer_kind=facts["transfer_kind"], dial_status=facts["dial_status"],
        transfer_answered=facts["transfer_answered"], voicemail=facts["voicemail"],
        voicemail_at=facts["voicemail_at"], virtual_hold=facts["virtual_hold"]), agent=agent or call.agent)


def reconcile(settings: Settings, session_factory) -> int:
    """Move every parked call into the database; returns how many were recorded."""
    with AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("reconcile")) as ami:
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
