"""The thread's own counters from the kernel (/proc/thread-self/schedstat)."""
from __future__ import annotations

import threading
import time

from agi import thread_clock


def test_parse_reads_the_first_two_counters():
    clock = thread_clock.parse("291943092 109360143 171\n")
    assert clock == thread_clock.ThreadClock(291943092, 109360143)
    assert thread_clock.ThreadClock(391943092, 110360143).since(clock) == (100.0, 1.0)


def test_a_kernel_without_the_file_gives_none(tmp_path):
    assert thread_clock.read(tmp_path / "missing") is None
    (tmp_path / "odd").write_text("not numbers")
    assert thread_clock.read(tmp_path / "odd") is None


def test_the_counters_are_this_threads_own():
    """CPU burnt by another thread does not show on this one's clock."""
    before = thread_clock.read()
    assert before is not None

    def burn():
        end = time.thread_time() + 0.1
        while time.thread_time() < end:
            pass

    other = threading.Thread(target=burn)
    other.start()
    other.join()
    on_core, _ = thread_clock.read().since(before)
    assert on_core < 50
    start = thread_clock.read()
    burn()
    on_core, _ = thread_clock.read().since(start)
    assert on_core >= 95
