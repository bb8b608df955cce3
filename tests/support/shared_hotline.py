"""One hotline for the whole test session, shared by every module that needs no installation of its own.

Starting a hotline (two Asterisks, the FastAGI server, softphones registered, agents logged in) costs
20-40 s; most telephony modules only place calls on it. They share one, started by the first of them
(``tests/support/telephony.start_hotline``, still the one place that starts a hotline). After each
sharing module, ``reset`` puts back what a module may leave behind, measured against the state the
hotline had when it started:

- only the FastAGI server runs (a module's AMI listener, web panel or SIP guard is stopped);
- no call is up on either Asterisk; no call's facts are left parked in AstDB;
- the PBX's and the carrier simulator's dialplan globals (softphone and citizen-phone modes) as at start;
- every agent logged into its queues with its penalty, none paused;
- the installation's Redis keys and its rq queue empty, as on a fresh installation;
- no callback request left open (the dialer works the whole list: a fresh list is empty).

What it cannot put back — the centre configuration (lines, queues, agents, switches such as the surge
announcement) differing from the start, prompt files gone — is reported as a warning and the shared hotline is discarded:
the next module gets a fresh one. A module that breaks the installation on purpose or needs other
settings sets ``OWN_HOTLINE = True`` and gets its own (the shared one is stopped first: same ports).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.support.telephony import Hotline, start_hotline, stop_hotline
from tests.support.waiting import wait_for

KEEP_RUNNING = ("agi",)           # the services start_hotline starts


@dataclass(frozen=True)
class Baseline:
    members: frozenset
    pbx_globals: dict[str, str]
    carrier_globals: dict[str, str]
    config: dict
    prompts: frozenset


def prompt_files(hotline: Hotline) -> frozenset:
    """The prompt files (not the build's own work files) Asterisk may play."""
    root = hotline.settings.prompts_dir
    return frozenset(str(p.relative_to(root)) for p in root.rglob("*")
                     if p.is_file() and not p.relative_to(root).parts[0].startswith("."))


def queue_members(hotline: Hotline) -> frozenset:
    """(queue, interface, penalty, paused, reason) of every queue member, from QueueStatus."""
    with hotline.pbx_ami() as ami:
        return frozenset((e["Queue"], e["Location"], e.get("Penalty"), e.get("Paused"), e.get("PausedReason", ""))
                         for e in ami.action_list("QueueStatus") if e.get("Event") == "QueueMember")


def dialplan_globals(instance) -> dict[str, str]:
    found = {}
    for line in instance.cli("dialplan show globals").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and " " not in name:
            found[name] = value
    return found


def centre_config(hotline: Hotline) -> dict:
    """Every active configuration item (lines, queues, agents, menus, switches, holidays) as exported."""
    from centre_config import versions
    from centre_config.files import FILES

    with hotline.session_factory()() as session:
        found = {}
        for kind in FILES:
            k = versions.kind_of(kind)
            entries = [k.dump(k.get(session, key)) for key in k.keys(session)]
            found[kind] = [e for e in entries if e.get("active", True) is not False]
        return found


def baseline_of(hotline: Hotline) -> Baseline:
    return Baseline(queue_members(hotline), dialplan_globals(hotline.pbx), dialplan_globals(hotline.carrier),
                    centre_config(hotline), prompt_files(hotline))


def _differences(before: dict, after: dict) -> list[str]:
    return [kind for kind in sorted(set(before) | set(after)) if before.get(kind) != after.get(kind)]


def reset(hotline: Hotline, baseline: Baseline) -> list[str]:
    """Put the hotline back to ``baseline``; what could not be put back (empty: all done)."""
    from ops import services

    for service in services.python_services(hotline.settings):
        if service.name not in KEEP_RUNNING and services.pid_of(hotline.settings, service.name):
            hotline.stop_service(service.name)
    for name in KEEP_RUNNING:
        if not services.pid_of(hotline.settings, name):
            hotline.start_service(name)
    _no_calls_up(hotline)
    _no_parked_calls(hotline)
    for instance, globals_at_start in ((hotline.pbx, baseline.pbx_globals), (hotline.carrier, baseline.carrier_globals)):
        for name, value in dialplan_globals(instance).items():
            if globals_at_start.get(name, "") != value:
                instance.cli(f"dialplan set global {name} {globals_at_start.get(name, '')}".rstrip())
    if queue_members(hotline) != baseline.members:
        _log_agents_in_again(hotline)
    _empty_redis(hotline)
    _close_callbacks(hotline)

    left = []
    if queue_members(hotline) != baseline.members:
        left.append(f"queue members {sorted(queue_members(hotline) ^ baseline.members)}")
    changed = _differences(baseline.config, centre_config(hotline))
    if changed:
        left.append(f"centre configuration changed: {', '.join(changed)}")
    gone = baseline.prompts - prompt_files(hotline)
    if gone:
        left.append(f"prompts removed: {', '.join(sorted(gone)[:5])}")
    return left


def _no_calls_up(hotline: Hotline) -> None:
    """A module's last call may still be hanging up; one still up after 15 s is hung up."""
    def idle() -> bool:
        return all("0 active channels" in i.cli("core show channels count") for i in (hotline.pbx, hotline.carrier))
    try:
        wait_for(idle, 15, "no call up on either Asterisk", interval=0.2)
    except AssertionError:
        for instance in (hotline.pbx, hotline.carrier):
            instance.cli("channel request hangup all")
        wait_for(idle, 10, "every call hung up", interval=0.2)


def _no_parked_calls(hotline: Hotline) -> None:
    with hotline.pbx_ami() as ami:
        ami.action("DBDelTree", Family="hotline_unrecorded")


def _log_agents_in_again(hotline: Hotline) -> None:
    """Every member out of every queue, then the agents in as start_hotline logs them in (penalties, unpaused)."""
    with hotline.pbx_ami() as ami:
        for event in ami.action_list("QueueStatus"):
            if event.get("Event") == "QueueMember":
                ami.action("QueueRemove", Queue=event["Queue"], Interface=event["Location"])
    hotline.login_all_agents()


def _empty_redis(hotline: Hotline) -> None:
    from rq import Queue

    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    client = redis_client(hotline.settings)
    keys = list(client.scan_iter(f"{hotline.settings.redis_prefix}*"))
    if keys:
        client.delete(*keys)
    queue = Queue(Keys(hotline.settings.redis_prefix).rq_queue, connection=client)
    jobs = set(queue.job_ids)
    for registry in (queue.finished_job_registry, queue.failed_job_registry, queue.started_job_registry,
                     queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry):
        jobs.update(registry.get_job_ids())
        client.delete(registry.key)
    for job_id in jobs:
        client.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    client.delete(queue.key)


def _close_callbacks(hotline: Hotline) -> None:
    """Earlier modules' missed calls listed and their requests closed: the next dialer run sees only new ones."""
    from sqlalchemy import update

    from callbacks.collect import collect_missed_calls
    from db.models import AttemptOutcome, Callback, CallbackAttempt, CallbackStatus
    from db.session import session_scope, utcnow

    with session_scope(hotline.session_factory()) as session:
        collect_missed_calls(session, hotline.settings)
        session.flush()
        session.execute(update(CallbackAttempt).where(CallbackAttempt.outcome == AttemptOutcome.claimed)
                        .values(outcome=AttemptOutcome.lost, ended_at=utcnow()))
        session.execute(update(Callback).where(Callback.status.in_([CallbackStatus.pending, CallbackStatus.dialing]))
                        .values(status=CallbackStatus.failed, next_attempt_at=None))


class SharedHotline:
    """The session's shared hotline: ``acquire`` for a module, ``after_module`` when it is done,
    ``release`` before a module starts one of its own and at the end of the session."""

    def __init__(self, make_run_dir: Callable[[], Path]):
        self._make_run_dir = make_run_dir
        self.hotline: Hotline | None = None
        self.baseline: Baseline | None = None
        self.started = 0

    def acquire(self) -> Hotline:
        if self.hotline is None:
            self.hotline = start_hotline(self._make_run_dir())
            self.started += 1
            try:
                self.baseline = baseline_of(self.hotline)
            except BaseException:
                self.release()
                raise
        return self.hotline

    def after_module(self, module: str) -> None:
        if self.hotline is None:
            return
        try:
            left = reset(self.hotline, self.baseline)
        except Exception as exc:    # the reset itself failed: never hand a doubtful hotline on
            left = [f"the reset failed: {exc!r}"]
        if left:
            warnings.warn(f"{module} left the shared hotline changed ({'; '.join(left)}): the next module "
                          f"gets a fresh one", stacklevel=1)
            self.release()

    def release(self) -> None:
        if self.hotline is not None:
            stop_hotline(self.hotline)
            self.hotline = None
            self.baseline = None
