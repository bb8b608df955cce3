"""gunicorn settings beside the command line's: workers die with their master, no control socket.

When the master is killed outright (``kill -9``, the OOM killer), its workers
would live on as orphans holding the listening socket, so the master that
supervisord starts next cannot bind the port until they notice (seconds), and a
probe of the port meanwhile talks to a dying orphan. ``PR_SET_PDEATHSIG`` makes
the kernel end each worker the moment its master goes.
"""
from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1   # linux/prctl.h

# gunicorn 24+ opens a control socket at one fixed path per user (~/.gunicorn/gunicorn.ctl): every
# hotline on the machine (a test run beside production, two run folders) would share it. Unused here.
control_socket_disable = True


def post_fork(server, worker) -> None:   # gunicorn's hook, in the new worker
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):     # not Linux: the worker notices its new parent by itself
        server.log.warning("workers will not die with the master (no prctl)")
