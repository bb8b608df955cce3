"""``hotline kpis --check``: do the call records and app_queue's queue_log give the same numbers?

The CLI (on the roof, ops/cli) only parses options and prints; this module
finds the queue_log, compares and writes the report, so a test can call it.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from hotline.config import Settings
from kpis.formulas import CALL_FORMULAS, NOT_IN_QUEUE_LOG
from kpis.period import Period
from kpis.queue_log import Comparison, compare, read_queue_log


def default_queue_log(settings: Settings) -> Path:
    """Where the PBX instance writes it: ``<astlogdir>/queue_log`` (astlogdir = run/asterisk/pbx/log)."""
    return settings.run_dir / "asterisk" / "pbx" / "log" / "queue_log"


def check(session: Session, settings: Settings, period: Period, queue_log: Path | None = None) -> Comparison:
    return compare(session, read_queue_log(queue_log or default_queue_log(settings)), period)


def report_text(result: Comparison) -> str:
    """What the command prints: both figures side by side, then each differing call and why."""
    verdict = "they agree" if result.agree else "they DIFFER"
    period = f"{result.period.first} … {result.period.last} ({result.period.timezone})"
    lines = [f"KPIs {period}: call records against queue_log — {verdict}"]
    lines.append(f"{'figure':28} {'records':>10} {'queue_log':>10}")
    for formula in CALL_FORMULAS:
        if formula.key == "received" or formula.key in NOT_IN_QUEUE_LOG:
            continue   # queue_log sees queued calls only, and neither callbacks nor ratings
        mark = "  ≠" if formula.key in result.figures_differ else ""
        lines.append(f"{formula.zh + ' ' + formula.key:28} {_show(result.records[formula.key]):>10} "
                     f"{_show(result.queue_log[formula.key]):>10}{mark}")
    if result.differences:
        lines.append(f"{len(result.differences)} call(s) differ:")
        lines += [f"  {d.uniqueid}: {d.kind}: records {d.records}, queue_log {d.queue_log} — {d.why}"
                  for d in result.differences]
    lines += [f"queue_log {p}" for p in result.problems]
    return "\n".join(lines)


def _show(value) -> str:
    return "—" if value is None else str(value)
