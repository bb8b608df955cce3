"""The FastAGI server's CPU class (ops/cpu_class.py), in child processes: the test process stays normal."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ops import cpu_class
from tests.support.cpu import may_enter_realtime

CHILD = """
import logging, os, sys, threading
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
from ops import cpu_class
entered = cpu_class.enter_realtime(int(sys.argv[1]))
seen = []
worker = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))   # started after: inherits
worker.start(); worker.join()
print(entered, os.sched_getscheduler(0) == os.SCHED_RR, seen[0] == os.SCHED_RR, cpu_class.describe(os.getpid()))
"""
CAP_SYS_NICE, PR_CAPBSET_DROP = 23, 24

needs_the_right = pytest.mark.skipif(not may_enter_realtime(), reason="this user may not enter SCHED_RR "
                                     "(no CAP_SYS_NICE, RLIMIT_RTPRIO 0); the refused case is tested below")


def run_child(priority: int, unprivileged: bool = False) -> subprocess.CompletedProcess:
    def drop():   # no CAP_SYS_NICE after the exec, and no RLIMIT_RTPRIO: as a server of an ordinary user
        import ctypes
        import resource
        resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))
        # root drops CAP_SYS_NICE from what the exec grants; an ordinary user has none, and the call fails
        ctypes.CDLL(None, use_errno=True).prctl(PR_CAPBSET_DROP, CAP_SYS_NICE, 0, 0, 0)
    return subprocess.run([sys.executable, "-c", CHILD, str(priority)], capture_output=True, text=True,
                          timeout=30, cwd=os.getcwd(), preexec_fn=drop if unprivileged else None,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})


@needs_the_right
def test_the_server_and_the_threads_it_starts_later_run_in_the_real_time_class():
    done = run_child(1)
    assert done.stdout.split(maxsplit=3) == ["True", "True", "True", "real-time CPU class (SCHED_RR 1)\n"], done
    assert "runs in the real-time CPU class (SCHED_RR 1)" in done.stderr


def test_without_the_right_it_stays_normal_and_says_why_once():
    done = run_child(1, unprivileged=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=3)[:3] == ["False", "False", "False"], done
    assert done.stdout.split(maxsplit=3)[3].startswith("normal CPU class (nice "), done
    [warning] = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert "stays in the normal CPU class" in warning and "HOTLINE_AGI_REALTIME_PRIORITY=0" in warning


def test_priority_0_asks_for_nothing():
    done = run_child(0)
    assert done.stdout.split(maxsplit=3)[:3] == ["False", "False", "False"] and done.stderr == "", done


@needs_the_right
def test_a_priority_over_the_highest_is_the_highest():
    done = run_child(500)
    highest = os.sched_get_priority_max(os.SCHED_RR)
    assert done.stdout.split(maxsplit=3)[3] == f"real-time CPU class (SCHED_RR {highest})\n", done


def test_the_test_process_itself_is_normal_and_described_so():
    assert cpu_class.describe(os.getpid()).startswith("normal CPU class (nice ")
    assert cpu_class.describe(2 ** 22 + 12345) == "CPU class unknown"       # no such process
