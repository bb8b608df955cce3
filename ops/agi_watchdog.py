"""Watchdog of the FastAGI server (看门狗): a server that no longer answers is killed, so callers fall back.

Asterisk's ``AGI()`` has no timeout. A FastAGI server that accepts connections
and never answers (stopped, deadlocked, its threads all stuck) would hold every
caller in silence until the longest-call limit. supervisord restarts a process
that *exits*, not one that hangs, so this runs beside it under supervisord
(``[program:agiwatch]``, started with supervisord itself): every ``INTERVAL``
seconds it asks supervisord for the server's state and opens a FastAGI
connection with the ``ping`` script; when the server stays silent twice in a
row (``PROBE_TIMEOUT`` each), it kills it with SIGKILL. Asterisk's blocked
``AGI()`` calls then fail, the dialplan sends those callers to the 12345 queue
and parks their facts, and supervisord starts a new server.

Only silence counts: a server that answers with an error (its database down)
is alive and is left alone; the dialplan's fallback already carries its callers.
A server that is stopped on purpose, or is starting, is never touched.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

INTERVAL = 5.0          # seconds between two rounds
PROBE_TIMEOUT = 2.0     # seconds a healthy server needs to answer ``ping`` (it answers in ms)
GRACE = 5.0             # seconds after a start before the server is probed (warm-up, imports)
SERVICE = "agi"


def answers(port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when the FastAGI server replies to ``ping`` at all (ends the exchange, even with an error)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"agi_network_script: ping\nagi_uniqueid: watchdog\n\n")
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                if not s.recv(4096):
                    return True          # the server finished the exchange and closed
            return False
    except socket.timeout:
        return False
    except ConnectionRefusedError:
        return True                      # nobody listens: not hung (a restart in progress); supervisord's matter
    except OSError:
        return False


def check(process_info: Callable[[], dict], probe: Callable[[], bool], kill: Callable[[int], None],
          retry_after: float = 0.5) -> str:
    """One watchdog round: 'skipped' (not running or just started), 'ok', or 'killed'."""
    info = process_info()
    if info.get("statename") != "RUNNING" or not info.get("pid"):
        return "skipped"
    if info.get("now", 0) - info.get("start", 0) < GRACE:
        return "skipped"
    if probe():
        return "ok"
    time.sleep(retry_after)              # one more chance: a single slow answer is not a hang
    if probe():
        return "ok"
    log.error("FastAGI server pid %s did not answer ping twice within %.0f s: killing it "
              "(its callers fall back to the 12345 queue; supervisord starts a new one)", info["pid"], PROBE_TIMEOUT)
    kill(int(info["pid"]))
    return "killed"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main() -> None:
    """The watchdog's loop (logs go to its supervisord log); SIGTERM ends it at once."""
    import threading

    from supervisor import childutils

    from hotline.config import current_settings

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    port = current_settings().ports.agi
    rpc = childutils.getRPCInterface(os.environ)   # supervisord tells its children where it listens
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(INTERVAL):
        try:
            check(lambda: rpc.supervisor.getProcessInfo(SERVICE), lambda: answers(port), _kill)
        except Exception:            # the watchdog itself never dies of one bad round
            log.exception("watchdog round failed")


if __name__ == "__main__":
    main()
