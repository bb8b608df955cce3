"""One call record as plain JSON-able data: what `hotline call` prints and the API returns."""
from __future__ import annotations


def _iso(dt):
    return dt.isoformat(timespec="milliseconds") + "Z" if dt else None


def call_as_dict(call) -> dict:
    line, dept, agent = call.line, call.department, call.agent
    return {
        "uniqueid": call.uniqueid,
        "linkedid": call.linkedid,
        "trace_id": call.trace_id,
        "caller": call.caller,
        "dialed_number": call.dialed_number,
        "line": {"number": line.number, "name": line.name, "mode": call.line_mode or _mode(line)} if line else None,
        "department": {"code": dept.code, "name": dept.name} if dept else None,
        "language": call.language,
        "ivr_path": call.ivr_path,
        "queue": call.queue_name,
        "agent": {"number": agent.number, "name": agent.name} if agent else None,
        "outcome": call.outcome,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "arrived_at": _iso(call.arrived_at),
        "queue_joined_at": _iso(call.queue_joined_at),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at),
        "hangup_cause": call.hangup_cause,
        "recording_file": call.recording_file,
        "rating": call.rating,
        # 留言: the message the citizen left, its length, and kept | too_short | silent | missing | error
        "voicemail": {"file": call.voicemail_file, "seconds": call.voicemail_seconds,
                      "status": call.voicemail_status} if call.voicemail_file else None,
    }


def _mode(line):
    mode = line.mode
    return getattr(mode, "value", mode)
