"""app_queue's own record (排队日志 queue_log): read it, compute the call KPIs from it, compare with the call records.

Asterisk writes one line per queue event to ``<astlogdir>/queue_log``::

    1772416800|1772416797.12|12345|1001 张伟|CONNECT|8|1772416800.13|1

epoch | callid (the caller channel's UNIQUEID = ``calls.uniqueid``) | queue |
agent (the member name, with ``log_membername_as_agent = yes``) | event | data…
Events used (Asterisk 22): ENTERQUEUE, CONNECT(holdtime|bridged uniqueid|ringtime),
COMPLETECALLER / COMPLETEAGENT(holdtime|calltime|origposition),
BLINDTRANSFER / ATTENDEDTRANSFER / TRANSFER(…|holdtime|calltime|origposition),
ABANDON(position|origposition|waittime), EXITWITHTIMEOUT(position|origposition|waittime),
EXITWITHKEY(key|position|origposition|waittime), EXITEMPTY(position|origposition|waittime).

The figures are the same as ``kpis.calls`` (the same ``call_figures``), from
one passage per callid: a call that overflows from 12345 to the overflow queue
has two ENTERQUEUE lines but is one offered call, its wait the sum of its waits
in both queues, counted in the queue it ended in — as the call record does.

A virtual-hold placeholder (回拨, callbacks/virtual_hold.py) is a place in the queue, not a call: its
ENTERQUEUE carries the URL ``virtual_hold:<request>`` (Queue()'s URL argument) and it is left out, as the
records leave it out (the citizen's own call never queued: outcome ``virtual_hold``; the callback is
counted in the callback figures).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from db.models import Call, Queue
from hotline.dialplan import VHOLD_QUEUE_URL
from kpis.calls import DEFAULT_SERVICE_LEVEL, call_counts, call_figures
from kpis.formulas import CALL_FORMULAS, NOT_IN_QUEUE_LOG
from kpis.period import Period
from kpis.settings import KpiSettings, load_settings

QUEUE_LOG_DIMENSIONS = ("queue", "agent", "hour", "weekday", "day")
TRANSFERS = ("BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER")
ENDS = ("COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHKEY", "EXITEMPTY", *TRANSFERS)
WAIT_TOLERANCE = 1.5   # seconds: app_queue logs whole seconds, the call records milliseconds


@dataclass(frozen=True)
class Entry:
    at: dt.datetime   # naive UTC
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


@dataclass
class QueueLog:
    entries: list[Entry]
    problems: list[str]   # "line 7: …" for lines that could not be read (they are skipped, never fatal)


def parse_line(text: str) -> Entry:
    parts = text.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise ValueError(f"{len(parts)} fields, a queue_log line has at least 5 (time|callid|queue|agent|event)")
    try:
        at = dt.datetime.fromtimestamp(float(parts[0]), dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ValueError(f"{parts[0]!r} is not a UNIX time: set queue_log to epoch times "
                         "(no queue_log_realtime_use_gmt / dateformat for the file)") from None
    return Entry(at, parts[1], parts[2], parts[3], parts[4], tuple(parts[5:]))


def read_queue_log(source: Path | str | Iterable[str]) -> QueueLog:
    """A queue_log file (or its lines); a missing file is a clear error, a bad line a problem noted."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no queue_log at {path}: is queue_log on in logger.conf "
                                    "(queue_log = yes, queue_log_to_file = yes)?")
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    else:
        lines = list(source)
    entries, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entries.append(parse_line(line))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return QueueLog(entries, problems)


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


@dataclass
class QueuePassage:
    """One caller's way through the queues (one callid), as app_queue logged it."""

    callid: str
    entered_at: dt.datetime
    queues: list[str] = field(default_factory=list)
    agent: str | None = None        # the 工号 (first word of the member name)
    answered_at: dt.datetime | None = None
    wait: int = 0                   # seconds waited in all queues, app_queue's own count
    talk: int | None = None
    outcome: str = "waiting"        # answered | abandoned | exited | waiting
    ended: bool = False
    virtual_hold: bool = False      # a virtual-hold placeholder's place (ENTERQUEUE URL virtual_hold:<id>), no call
    _earlier_waits: int = 0

    @property
    def queue(self) -> str:
        return self.queues[-1]


def passages(entries: Iterable[Entry]) -> dict[str, QueuePassage]:
    found: dict[str, QueuePassage] = {}
    for e in sorted(entries, key=lambda e: e.at):
        if e.callid in ("NONE", "REALTIME", ""):
            continue   # member and queue events (ADDMEMBER, PAUSE, QUEUESTART …)
        p = found.get(e.callid)
        if e.event == "ENTERQUEUE":
            if p is None:
                p = found[e.callid] = QueuePassage(e.callid, e.at)
            p.queues.append(e.queue)
            p.virtual_hold = p.virtual_hold or (bool(e.data) and e.data[0].startswith(VHOLD_QUEUE_URL))
            p.outcome, p.ended = "waiting", False   # after a timeout: waiting again, in the overflow queue
            continue
        if p is None:
            continue   # its ENTERQUEUE is before the file starts
        d = e.data
        if e.event == "CONNECT":
            p.answered_at, p.outcome = e.at, "answered"
            p.wait = p._earlier_waits + _int(d[0] if d else 0)
            p.agent = (e.agent.split() or [None])[0]
        elif e.event in ("COMPLETECALLER", "COMPLETEAGENT"):
            p.talk, p.ended = _int(d[1] if len(d) > 1 else 0), True
        elif e.event in TRANSFERS:
            p.talk, p.ended = _int(d[-2] if len(d) >= 2 else 0), True
        elif e.event == "ABANDON":
            p.wait, p.outcome, p.ended = p._earlier_waits + _int(d[2] if len(d) > 2 else 0), "abandoned", True
        elif e.event == "EXITWITHTIMEOUT":   # may go on in the overflow queue (a new ENTERQUEUE follows)
            p._earlier_waits += _int(d[2] if len(d) > 2 else 0)
            p.wait, p.outcome, p.ended = p._earlier_waits, "exited", True
        elif e.event in ("EXITWITHKEY", "EXITEMPTY"):
            index = 3 if e.event == "EXITWITHKEY" else 2
            p.wait = p._earlier_waits + _int(d[index] if len(d) > index else 0)
            p.outcome, p.ended = "exited", True
    return found


def queue_log_counts(log: QueueLog, period: Period, by: tuple[str, ...], settings: KpiSettings,
                     service_levels: dict[str, int], wrapups: dict[str, int]) -> dict[tuple, dict]:
    """The same sums as ``kpis.calls.call_counts``, by slice, from the queue_log's passages."""
    unknown = [name for name in by if name not in QUEUE_LOG_DIMENSIONS]
    if unknown:
        raise ValueError(f"queue_log has no {', '.join(unknown)}: slice it by {', '.join(QUEUE_LOG_DIMENSIONS)}")
    start, end = period.utc_bounds()
    offset = dt.timedelta(minutes=period.offset_minutes)
    out: dict[tuple, dict] = {}
    for p in passages(log.entries).values():
        if not (p.ended and start <= p.entered_at < end) or p.outcome == "waiting" or p.virtual_hold:
            continue
        local = p.entered_at + offset
        keys = {"queue": p.queue, "agent": p.agent, "hour": local.hour, "weekday": (local.weekday() + 1) % 7,
                "day": local.date().isoformat()}
        c = out.setdefault(tuple(keys[name] for name in by), dict.fromkeys(
            ("received", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl", "wait_sum",
             "answered_wait_sum", "talk_sum", "wrapup_sum"), 0) | {"wait_max": None})
        answered = p.outcome == "answered"
        c["received"] += 1
        c["offered"] += 1
        c["wait_sum"] += p.wait
        c["wait_max"] = max(c["wait_max"] or 0, p.wait)
        if answered:
            c["answered"] += 1
            c["answered_wait_sum"] += p.wait
            c["talk_sum"] += p.talk or 0
            c["wrapup_sum"] += wrapups.get(p.queue, 0)
            if p.wait <= service_levels.get(p.queue, DEFAULT_SERVICE_LEVEL):
                c["answered_in_sl"] += 1
        elif p.outcome == "abandoned":
            c["abandoned"] += 1
            if p.wait < settings.short_abandon_seconds:
                c["short_abandoned"] += 1
    return out


def queue_log_figures(log: QueueLog, period: Period, by: tuple[str, ...], settings: KpiSettings,
                      service_levels: dict[str, int], wrapups: dict[str, int]) -> dict[tuple, dict]:
    return {key: call_figures(c) for key, c in
            queue_log_counts(log, period, by, settings, service_levels, wrapups).items()}


# --- where the call records and queue_log differ, and why -------------------------------------------
@dataclass(frozen=True)
class Difference:
    uniqueid: str
    kind: str      # missing_record, missing_in_queue_log, outcome, wait, talk, queue, unfinished_record
    records: str
    queue_log: str
    why: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class Comparison:
    period: Period
    records: dict        # figure → value, from the call records
    queue_log: dict      # figure → value, from queue_log
    figures_differ: list[str]
    differences: list[Difference]
    problems: list[str]

    @property
    def agree(self) -> bool:
        return not self.figures_differ

    def as_dict(self) -> dict:
        return {"period": self.period.as_dict(), "agree": self.agree, "figures_differ": self.figures_differ,
                "records": self.records, "queue_log": self.queue_log,
                "differences": [d.as_dict() for d in self.differences], "problems": self.problems}


def compare(session, log: QueueLog, period: Period, settings: KpiSettings | None = None) -> Comparison:
    """Both sources' figures for ``period`` and, call by call, where they differ and why."""
    settings = settings or load_settings(session)
    queues = session.execute(select(Queue.name, Queue.service_level_seconds, Queue.wrapup_seconds)).all()
    levels = {name: sl for name, sl, _ in queues}
    wrapups = {name: w for name, _, w in queues}
    [counts] = call_counts(session, period, (), {}, settings) or [{}]
    queued_counts = dict(counts)
    queued_counts["received"] = queued_counts.get("offered", 0)   # queue_log knows only queued calls
    ours = {k: f["value"] for k, f in call_figures(queued_counts).items()}
    theirs_counts = queue_log_counts(log, period, (), settings, levels, wrapups).get((), {})
    theirs = {k: f["value"] for k, f in call_figures(theirs_counts).items()}
    differ = [f.key for f in CALL_FORMULAS
              if f.key not in NOT_IN_QUEUE_LOG and not _close(ours[f.key], theirs[f.key], f.unit)]

    start, end = period.utc_bounds()
    at = func.coalesce(Call.queue_joined_at, Call.arrived_at)
    records = {c.uniqueid: c for c in session.scalars(select(Call).where(
        Call.queue_joined_at.isnot(None), at >= start, at < end))}
    found = {p.callid: p for p in passages(log.entries).values()
             if start <= p.entered_at < end and not p.virtual_hold}
    differences = []
    for uid, p in sorted(found.items()):
        call = records.get(uid)
        if call is None:
            if p.ended and p.outcome != "waiting":
                differences.append(Difference(uid, "missing_record", "—", f"{p.outcome} in {p.queue}",
                                              "app_queue logged the call but there is no call record: the record "
                                              "was lost or the call came in while Python was down (fallback)"))
            continue
        differences += _compare_call(call, p, settings, levels.get(p.queue, DEFAULT_SERVICE_LEVEL))
    for uid, call in sorted(records.items()):
        if uid not in found and call.ended_at is not None:
            differences.append(Difference(uid, "missing_in_queue_log", call.outcome or "—", "—",
                                          "the record says the call joined a queue but app_queue logged no "
                                          "ENTERQUEUE: queue_log off or rotated, or the caller hung up before "
                                          "Queue() ran"))
    return Comparison(period, ours, theirs, differ, differences, log.problems)


def _close(a, b, unit: str) -> bool:
    if a is None or b is None:
        return a is b
    if unit == "count":
        return a == b
    if unit == "seconds":
        return abs(a - b) <= WAIT_TOLERANCE
    return abs(a - b) < 1e-9


def _compare_call(call, p: QueuePassage, settings: KpiSettings, service_level: int) -> list[Difference]:
    out = []
    uid = call.uniqueid
    if call.ended_at is None or not p.ended:
        if call.ended_at is None and not p.ended:
            return []   # still in progress on both sides: live, not history
        if call.ended_at is None:
            return [Difference(uid, "unfinished_record", "no hangup yet", p.outcome,
                               "the call record was never closed: the hangup AGI did not run (see agi.log)")]
        return [Difference(uid, "unfinished_in_queue_log", call.outcome or "—", "no end logged",
                           "app_queue logged no end for the call: the file was read before the line was "
                           "written, or Asterisk stopped during the call")]
    answered = call.answered_at is not None
    # a caller who left the queue for voicemail (留言) exited it (EXITWITHTIMEOUT), even when the message
    # was then dropped and the record says abandoned
    gave_up_in_queue = call.outcome == "abandoned" and not call.voicemail_file
    mine = "answered" if answered else ("abandoned" if gave_up_in_queue else "exited")
    if mine != p.outcome:
        out.append(Difference(uid, "outcome", mine, p.outcome,
                              "the record and app_queue disagree on how the call left the queue"))
    if call.queue_name and call.queue_name != p.queue:
        out.append(Difference(uid, "queue", call.queue_name, p.queue, "the record names another final queue"))
    wait = call.wait_seconds or 0
    if abs(wait - p.wait) > WAIT_TOLERANCE:
        out.append(Difference(uid, "wait", f"{wait:.1f} s", f"{p.wait} s",
                              "the record's wait starts before Queue() (announcements) or app_queue's holdtime "
                              "restarted in an overflow queue"))
    elif answered and (wait <= service_level) != (p.wait <= service_level):
        out.append(Difference(uid, "service_level", f"{wait:.1f} s", f"{p.wait} s",
                              f"answered at the {service_level} s service level: app_queue counts whole seconds, "
                              "the record milliseconds"))
    elif mine == p.outcome == "abandoned" and \
            (wait < settings.short_abandon_seconds) != (p.wait < settings.short_abandon_seconds):
        out.append(Difference(uid, "short_abandon", f"{wait:.1f} s", f"{p.wait} s",
                              f"gave up at the {settings.short_abandon_seconds} s short-abandon threshold: whole "
                              "seconds against milliseconds"))
    if answered and p.talk is not None and abs((call.talk_seconds or 0) - p.talk) > WAIT_TOLERANCE:
        out.append(Difference(uid, "talk", f"{call.talk_seconds or 0:.1f} s", f"{p.talk} s",
                              "talk time differs: the record ends at the caller's hangup, app_queue at the end "
                              "of the bridge (a transfer after the answer)"))
    return out
