"""`hotline call`: a real SIP call from the carrier simulator into the hotline.

The support engineer's line test, and the tests' way to make calls. The carrier
originates ``Local/<number>@citizen-dial``: one half dials the hotline over the SIP
trunk with a trace id in a SIP header, the other half plays the citizen (waits,
sends DTMF as RFC 4733, hangs up). The result is read back from the hotline's
own call record, found by that trace id.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from hotline.ami import AmiClient
from hotline.config import Settings
from hotline.errors import HotlineError


@dataclass
class CitizenCall:
    number: str
    caller: str = "13800138000"
    dtmf: str = ""
    dtmf_delay: float = 2.0        # seconds after the hotline answers
    hangup_after: float = 10.0     # seconds after the DTMF (or after the answer)
    answer_timeout: float = 20.0
    rating: str = ""               # keys for the rating after the agent hangs up (一次一评)
    rating_delay: float = 0.0      # seconds after the DTMF (or the answer) before the rating keys
    speak: float = 0.0             # seconds the citizen "speaks" (a tone) after the DTMF: a voicemail (留言)
    speak_delay: float = 0.0       # seconds after the DTMF before speaking (the prompt and the beep)


def carrier_ami(settings: Settings) -> AmiClient:
    return AmiClient("127.0.0.1", settings.ports.carrier_ami, *settings.ami_login("simulator"))


def originate(ami: AmiClient, call: CitizenCall, trace_id: str) -> str:
    """Start the call; returns the ActionID whose OriginateResponse tells whether it was answered."""
    for field, value in (("number", call.number), ("caller", call.caller), ("dtmf", call.dtmf), ("rating", call.rating)):
        if any(c in value for c in ",;|\r\n()"):
            raise HotlineError(f"invalid {field}: {value!r}", "use digits, * and # (and w for a pause in DTMF)")
    reply = ami.action(
        "Originate",
        Channel=f"Local/{call.number}@citizen-dial/n",
        Context="citizen", Exten="s", Priority="1",
        CallerID=f"{call.caller} <{call.caller}>",
        Timeout=str(int(call.answer_timeout * 1000)),
        Async="true",
        Variable=[f"__TRACE={trace_id}", f"__CITIZEN={call.caller}", f"DTMF={call.dtmf}",
                  f"DTMF_DELAY={call.dtmf_delay if call.dtmf else 0}", f"HANGUP_AFTER={call.hangup_after}",
                  f"RATING={call.rating}", f"RATING_DELAY={call.rating_delay}", f"SPEAK={call.speak}",
                  f"SPEAK_DELAY={call.speak_delay}"],
    )
    if reply.get("Response") != "Success":
        raise HotlineError(f"the carrier refused to originate: {reply.get('Message')}")
    return reply["ActionID"]


def place_call(settings: Settings, session_factory, call: CitizenCall, *, timeout: float | None = None) -> dict:
    """Place the call, wait until the hotline has closed its record, return the record as a dict."""
    from calls.report import call_as_dict
    from db.repositories import calls as call_repo

    trace_id = uuid.uuid4().hex
    timeout = timeout or (call.answer_timeout + call.dtmf_delay + call.rating_delay + call.speak_delay + call.speak
                         + call.hangup_after + 30)
    deadline = time.monotonic() + timeout
    with carrier_ami(settings) as ami:
        action_id = originate(ami, call, trace_id)
        answered = ami.wait_event(lambda m: m.get("Event") == "OriginateResponse"
                                  and m.get("ActionID") == action_id, call.answer_timeout + 5)
    if answered is None or answered.get("Response") != "Success":
        reason = answered.get("Reason") if answered else "no OriginateResponse"
        raise HotlineError(f"the hotline did not answer a call to {call.number} (reason {reason})",
                           "is the hotline PBX up and the carrier trunk configured? `hotline status`")
    while time.monotonic() < deadline:
        with session_factory() as session:
            record = call_repo.latest_by_trace_id(session, trace_id)
            if record is not None and record.ended_at is not None:
                return call_as_dict(record)
        time.sleep(0.25)
    with session_factory() as session:
        record = call_repo.latest_by_trace_id(session, trace_id)
        if record is None:
            raise HotlineError(
                f"the call to {call.number} (trace {trace_id}) was answered but never reached the call record",
                "is the FastAGI server running? `hotline status`; the dialplan sent the call to the "
                "fallback queue")
        raise HotlineError(f"call {record.uniqueid} did not end within {timeout:.0f}s",
                           "pass a shorter --hangup-after, or check `hotline asterisk cli 'core show channels'`")
