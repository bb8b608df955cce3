"""The data the Asterisk templates are rendered from, read from the database.

The templates get plain dictionaries, not ORM objects, so that rendering is a
pure function of this context and can be unit-tested without Asterisk.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.dialplan import MAIN_NUMBER, MAIN_QUEUE
from ops.asterisk.binary import AsteriskBinary
from ops.asterisk.instance import AsteriskInstance

TRACE_HEADER = "X-Hotline-Trace"   # carrier → hotline correlation id (used by `hotline call`)

# Dead calls end (挂死呼叫): a far end that vanished without a BYE sends no more RTP.
CALL_LIMITS = {
    "rtp_timeout": 30,          # s without RTP on a call in progress → hang up (carrier and agent legs)
    "rtp_timeout_hold": 300,    # s without RTP while the far end holds the call
    "session_expires": 600,     # SIP session timer (RFC 4028): a dead dialog is noticed within this
    "session_min_se": 90,
    "max_call_seconds": 7200,   # longest call (TIMEOUT(absolute)); a line may set its own (Line.max_call_seconds)
}


def agents_and_queues(session: Session) -> tuple[list[dict], list[dict]]:
    from db.models import Agent, Queue

    agents = [
        {"number": a.number, "name": a.name, "sip_username": a.sip_username, "sip_secret": a.sip_secret}
        for a in session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.number))
    ]
    active = {a["sip_username"] for a in agents}
    queues = []
    for q in session.scalars(select(Queue).order_by(Queue.name)):
        members = [
            {"number": m.agent.number, "name": m.agent.name, "sip_username": m.agent.sip_username,
             "penalty": m.penalty}
            for m in sorted(q.members, key=lambda m: m.agent.number)
            if m.agent.sip_username in active
        ]
        queues.append({
            "name": q.name, "display_name": q.display_name or q.name, "strategy": q.strategy,
            "wrapup_seconds": q.wrapup_seconds, "service_level_seconds": q.service_level_seconds,
            "ring_timeout_seconds": q.ring_timeout_seconds, "announce_position": q.announce_position,
            "announce_frequency_seconds": q.announce_frequency_seconds,
            "periodic_announce_seconds": q.periodic_announce_seconds,
            "members": members,
        })
    return agents, queues


def supervisor_phones(settings: Settings, session: Session) -> list[dict]:
    """Supervisors' own SIP phones (listen / whisper / barge ring there)."""
    from queue_logic.supervisor_phones import supervisor_phones as phones

    return phones(settings, session)


def pbx_context(settings: Settings, agents: list[dict], queues: list[dict],
                supervisors: list[dict] | tuple = ()) -> dict:
    return {
        "agents": agents,
        "queues": queues,
        "supervisors": list(supervisors),
        "sip_bind": settings.sip_bind,
        "carrier_host": settings.carrier_host,
        "carrier_port": settings.ports.carrier_sip,
        "load_trunk_port": settings.load_trunk_port,
        "softphone_network": settings.softphone_acl,
        "recordings_dir": str(settings.recordings_dir),
        "fallback_queue": MAIN_QUEUE,
        "main_number": MAIN_NUMBER,
        "trace_header": TRACE_HEADER,
        "default_language": "en",
        "limits": CALL_LIMITS,
        "voicemail": {"max_s": settings.voicemail_max_s, "silence_s": settings.voicemail_silence_s,
                      "no_agent_wait_s": settings.voicemail_no_agent_wait_s},
        "virtual_hold": {"ring_s": settings.virtual_hold_ring_s, "offer_s": settings.virtual_hold_offer_s},
    }


def carrier_context(settings: Settings, agents: list[dict], softphones: str = "all",
                    supervisors: list[dict] | tuple = ()) -> dict:
    """``softphones``: "all", "none", or a comma list of agent numbers / supervisor usernames to simulate."""
    if softphones == "all":
        chosen, chosen_supervisors = agents, list(supervisors)
    elif softphones in ("", "none"):
        chosen, chosen_supervisors = [], []
    else:
        wanted = {s.strip() for s in softphones.split(",")}
        chosen = [a for a in agents if a["number"] in wanted]
        chosen_supervisors = [s for s in supervisors if s["username"] in wanted]
    return {"softphones": chosen, "supervisor_phones": chosen_supervisors, "trace_header": TRACE_HEADER,
            "default_language": "en"}


def instances(settings: Settings, binary: AsteriskBinary) -> tuple[AsteriskInstance, AsteriskInstance]:
    ports = settings.ports
    pbx = AsteriskInstance("pbx", binary, settings, sip_port=ports.sip, ami_port=ports.ami,
                           rtp_start=ports.rtp_start)
    carrier = AsteriskInstance("carrier", binary, settings, sip_port=ports.carrier_sip,
                               ami_port=ports.carrier_ami, rtp_start=ports.carrier_rtp_start)
    return pbx, carrier
