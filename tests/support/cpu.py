"""What this machine's user may do with the CPU scheduler."""
from __future__ import annotations

import os
import resource


def may_enter_realtime() -> bool:
    """Whether a process of this user may enter SCHED_RR at priority 1 (root here and in CI)."""
    return os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_RTPRIO)[0] >= 1
