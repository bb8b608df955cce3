"""Where a handler's time went on its own thread, for HOTLINE_AGI_TIMING: on a core, or runnable and waiting
for one (the kernel's run queue). What is left of the wall time after these two and the waits for Asterisk
was the thread asleep on something else: a lock, the GIL, a socket.

Linux keeps both counters per thread in ``/proc/thread-self/schedstat`` ("time on a cpu", "time waiting
on a runqueue", in nanoseconds). Where that file is missing (another kernel) the figures are None and the
timing line leaves them out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCHEDSTAT = Path("/proc/thread-self/schedstat")


@dataclass(frozen=True)
class ThreadClock:
    on_core_ns: int
    run_queue_ns: int

    def since(self, earlier: "ThreadClock") -> tuple[float, float]:
        """(ms on a core, ms waiting for a core) between ``earlier`` and this reading."""
        return (self.on_core_ns - earlier.on_core_ns) / 1e6, (self.run_queue_ns - earlier.run_queue_ns) / 1e6


def parse(text: str) -> ThreadClock:
    on_core, run_queue, *_ = text.split()
    return ThreadClock(int(on_core), int(run_queue))


def read(path: Path = SCHEDSTAT) -> ThreadClock | None:
    """This thread's counters now, or None where the kernel does not offer them."""
    try:
        return parse(path.read_text())
    except (OSError, ValueError):
        return None
