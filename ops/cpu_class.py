"""The call path's CPU class (实时调度): the FastAGI server runs in the real-time class, SCHED_RR.

On a busy node the PBX's media threads (a channel and a bridge thread per call) keep the kernel's run
queue long, and a FastAGI thread that needs 1 ms of CPU waited hundreds of milliseconds for a core:
the slowest decisions spent most of their time runnable, not running (the "AGI timing" line's "waiting
for a core", docs/benchmarks.md). Niceness does not cure that; the real-time class does, since a
real-time thread that wakes takes a core from any normal one at once. The server needs little CPU (about
2 % of a core at the peak), and the kernel keeps 5 % of every second for the normal class whatever a
real-time thread does (``kernel.sched_rt_runtime_us``), so a fault of ours cannot lock the node up.

Priority 1, the lowest real-time one: Asterisk started with ``-p`` (its own real-time option, 10) would
still come first. Linux keeps a policy per thread and a new thread inherits its creator's, so the
server's main thread enters the class before it starts any other. Without the right (CAP_SYS_NICE, or
an RLIMIT_RTPRIO of at least the priority, e.g. systemd's ``LimitRTPRIO=``) the server stays in the
normal class and says so in its log: slower at the peak, never down.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def enter_realtime(priority: int) -> bool:
    """The calling thread, and every thread it starts from now on, in SCHED_RR at ``priority``
    (0: stay in the normal class). True when it is in."""
    if priority <= 0:
        return False
    priority = min(priority, os.sched_get_priority_max(os.SCHED_RR))
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(priority))
    except OSError as exc:   # PermissionError without CAP_SYS_NICE; EINVAL where the class is missing
        log.warning("the FastAGI server stays in the normal CPU class (SCHED_RR %d refused: %s); at a busy "
                    "node's peak its decisions wait for a core. Grant CAP_SYS_NICE or LimitRTPRIO=%d, "
                    "or set HOTLINE_AGI_REALTIME_PRIORITY=0 to stop asking", priority, exc.strerror, priority)
        return False
    log.info("the FastAGI server runs in the real-time CPU class (SCHED_RR %d)", priority)
    return True


def describe(pid: int) -> str:
    """The CPU class a process's main thread runs in, as `hotline status` shows it."""
    try:
        policy = os.sched_getscheduler(pid)
        if policy in (os.SCHED_RR, os.SCHED_FIFO):
            name = "SCHED_RR" if policy == os.SCHED_RR else "SCHED_FIFO"
            return f"real-time CPU class ({name} {os.sched_getparam(pid).sched_priority})"
        return f"normal CPU class (nice {os.getpriority(os.PRIO_PROCESS, pid)})"
    except OSError:
        return "CPU class unknown"
