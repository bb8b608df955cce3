"""The FastAGI server: one thread per call, one handler per script name.

Blocking sockets and a thread per call on purpose: pyst2 is synchronous, a
call is long and mostly waiting, and a misbehaving peer then costs one idle
thread bounded by a socket timeout, never a spinning event loop (panoramisk's
FastAGI server spins at 100% CPU when a peer closes before its headers).

Per connection: read the ``agi_*`` environment; find the handler by script
name; open one database session; run the handler; commit.

Transaction policy: any exception from the handler rolls the transaction
back, a hangup (``AGIHangup``) included.  A handler interrupted halfway has
not finished its unit of work, and committing half of it would store a state
no code path meant to write.  A handler that must keep something whatever
happens later (say, "the citizen reached the IVR") commits explicitly before
the long command, or catches ``AGIHangup`` itself and returns normally.
"""
from __future__ import annotations

import errno
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping

from asterisk.agi import AGIException, AGIHangup
from sqlalchemy.orm import Session

from agi import thread_clock
from agi.request import AgiRequest, build_logging_adapter, script_of
from agi.session import AgiSession, ChannelHungUp, MalformedEnvironment
from db import time_spent
from hotline import dialplan
from hotline.errors import HotlineError

log = logging.getLogger(__name__)

Handler = Callable[[AgiRequest], None]


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128   # the default 5 drops SYNs when a burst of calls arrives

    def __init__(self, address: tuple[str, int], owner: "FastAgiServer"):
        self.owner = owner
        super().__init__(address, _ConnectionHandler)

    def process_request(self, request, client_address) -> None:
        self.owner._register(request)   # before the thread starts: shutdown() must see this call
        try:
            super().process_request(request, client_address)
        except BaseException:          # no thread could be started: the call is not in progress
            self.owner._unregister(request)
            raise

    def handle_error(self, request, client_address) -> None:
        """socketserver prints to stderr; ours should never get here, but log if it does."""
        log.exception("unexpected error serving FastAGI connection from %s", client_address)


class _ConnectionHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.owner._serve_connection(self.request, self.client_address)


class FastAgiServer:
    """Serve ``AGI(agi://host:port/<script>?k=v,arg1,...)`` requests with ``handlers[script]``.

    The port is bound in the constructor, so a port in use is reported before
    anything else starts.  Use as a context manager in tests::

        with FastAgiServer("127.0.0.1", 0, HANDLERS, sessionmaker(engine)) as server:
            server.start_in_thread()
    """

    def __init__(self, host: str, port: int, handlers: Mapping[str, Handler],
                 session_factory: Callable[[], Session], *, socket_timeout: float | None = 30.0,
                 shutdown_grace: float = 5.0, timing: bool = False):
        self.handlers = dict(handlers)
        self.timing = timing    # HOTLINE_AGI_TIMING: one "AGI timing" line per handler run (`hotline load`)
        self.session_factory = session_factory
        self.socket_timeout = socket_timeout
        self.shutdown_grace = shutdown_grace
        self._active: set[socket.socket] = set()   # connections accepted and not yet finished
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False
        try:
            self._server = _TCPServer((host, port), self)
        except OSError as exc:
            raise _bind_error(host, port, exc) from exc

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return host, port

    @property
    def active_calls(self) -> int:
        with self._lock:
            return len(self._active)

    # --- lifecycle ------------------------------------------------------
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept calls until :meth:`shutdown` is called from another thread."""
        if self._closed:
            raise RuntimeError("this FastAGI server was shut down")
        self._serving = True
        log.info("FastAGI server listening on %s:%s", *self.server_address)
        self._server.serve_forever(poll_interval)

    def start_in_thread(self, poll_interval: float = 0.5) -> threading.Thread:
        """Serve from a daemon thread (tests, or a CLI that also does other work); returns it.

        ``poll_interval`` is how long :meth:`shutdown` may wait for the accept loop to notice.
        """
        self._serving = True   # before start(): a shutdown() racing the thread must still stop it
        self._thread = threading.Thread(target=self.serve_forever, args=(poll_interval,),
                                        name="fastagi-server", daemon=True)
        self._thread.start()
        return self._thread

    def shutdown(self) -> None:
        """Stop accepting, close the port, give calls in progress ``shutdown_grace`` seconds.

        Calls still running after that get their socket shut down: their next
        AGI command raises ``ConnectionLost`` and their transaction is rolled back.
        """
        if self._closed:
            return
        self._closed = True
        if self._serving:
            self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if not self._join_calls(self.shutdown_grace):
            with self._lock:
                sockets = list(self._active)
            log.warning("shutting down %d FastAGI call(s) still in progress", len(sockets))
            for sock in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._join_calls(max(self.shutdown_grace, 1.0))

    def _join_calls(self, timeout: float) -> bool:
        """Wait for calls in progress to finish; True when none is left."""
        deadline = time.monotonic() + timeout
        while self.active_calls and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.active_calls == 0

    def __enter__(self) -> "FastAgiServer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()

    # --- one connection -------------------------------------------------
    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            self._active.add(sock)

    def _unregister(self, sock: socket.socket) -> None:
        with self._lock:
            self._active.discard(sock)

    def _serve_connection(self, sock: socket.socket, client_address: tuple) -> None:
        agi = None
        try:
            sock.settimeout(self.socket_timeout)
            agi = AgiSession.from_socket(sock, read_environment=False)
            self._serve_call(agi, client_address)
        except Exception:   # the last net: a connection thread never dies with a traceback on stderr
            log.exception("unexpected error serving FastAGI connection from %s", client_address)
        finally:
            if agi is not None:
                agi.close()
            self._unregister(sock)

    def _serve_call(self, agi: AgiSession, client_address: tuple) -> None:
        try:
            agi.read_environment()
        except MalformedEnvironment as exc:
            uniqueid = exc.env.get("agi_uniqueid", "-")
            log.warning("dropping FastAGI connection from %s:%s (uniqueid %s): %s",
                        client_address[0], client_address[1], uniqueid, exc.reason)
            if exc.in_sync:
                _report_error(agi, dialplan.AGI_ERROR_MALFORMED, log)
            return

        script, _ = script_of(agi.env)
        uniqueid = agi.env.get("agi_uniqueid", "")
        threading.current_thread().name = f"agi-{script or '?'}-{uniqueid or client_address[1]}"
        call_log = build_logging_adapter(uniqueid, log)
        handler = self.handlers.get(script)
        if handler is None:
            call_log.warning("no AGI handler for script %r (request %r)", script, agi.env.get("agi_request", ""))
            _report_error(agi, dialplan.AGI_ERROR_UNKNOWN_SCRIPT, call_log)
            return
        self._run_handler(handler, agi, script, uniqueid)

    def _run_handler(self, handler: Handler, agi: AgiSession, script: str, uniqueid: str) -> None:
        call_log = build_logging_adapter(uniqueid, log)
        db: Session | None = None
        started = time.perf_counter()
        clock = thread_clock.read() if self.timing else None
        time_spent.reset()
        try:
            db = self.session_factory()
            request = AgiRequest(agi, db, build_logging_adapter(uniqueid, f"agi.handlers.{script}"))
            handler(request)
            db.flush()                       # its statements are timed one by one (db.time_spent)
            committing = time.perf_counter()
            db.commit()                      # the COMMIT alone: the flush above left nothing to send
            time_spent.add(time.perf_counter() - committing)
        except AGIHangup as exc:
            _rollback(db, call_log)
            level = logging.INFO if isinstance(exc, ChannelHungUp) else logging.WARNING
            call_log.log(level, "call ended during %r, transaction rolled back: %s", script, exc)
        except Exception:
            _rollback(db, call_log)
            call_log.exception("AGI handler %r failed, transaction rolled back", script)
            _report_error(agi, dialplan.AGI_ERROR_INTERNAL, call_log)
        finally:
            if db is not None:
                db.close()
            if self.timing:
                _log_timing(script, (time.perf_counter() - started) * 1000, agi.asterisk_wait_s * 1000,
                            time_spent.spent() * 1000, clock)


def _log_timing(script: str, total_ms: float, asterisk_ms: float, database_ms: float,
                clock: thread_clock.ThreadClock | None) -> None:
    """The "AGI timing" line `hotline load` reads: the handler's wall time, its waits for Asterisk's replies
    and in the database, and (where the kernel counts them) its thread's time on a core and waiting for one."""
    now = thread_clock.read() if clock is not None else None
    threads = ", on a core %.2f ms, waiting for a core %.2f ms" % now.since(clock) if now is not None else ""
    log.info("AGI timing %s %.2f ms (Asterisk's replies %.2f ms, database %.2f ms%s)", script,
             total_ms, asterisk_ms, database_ms, threads)


def _rollback(db: Session | None, logger: logging.LoggerAdapter) -> None:
    """Roll back without masking the original error if the database is gone too."""
    if db is None:
        return
    try:
        db.rollback()
    except Exception:
        logger.exception("rollback failed")


def _report_error(agi: AgiSession, value: str, logger: logging.Logger | logging.LoggerAdapter) -> None:
    """Tell the dialplan why Python gave up; the channel may be gone already, which is fine."""
    try:
        agi.set_variable(dialplan.AGI_ERROR, value)
    except AGIException as exc:
        logger.info("could not set %s=%s on the channel: %s", dialplan.AGI_ERROR, value, exc)


def _bind_error(host: str, port: int, exc: OSError) -> HotlineError:
    if exc.errno == errno.EADDRINUSE:
        return HotlineError(
            f"port {port} is already in use (is another FastAGI server running? `hotline status`)",
            "stop the other process, or move this installation's ports with HOTLINE_PORT_OFFSET",
        )
    if exc.errno == errno.EACCES:
        return HotlineError(f"not allowed to listen on port {port}", "use a port above 1023")
    if exc.errno == errno.EADDRNOTAVAIL:
        return HotlineError(f"cannot listen on {host}: no such address on this machine",
                            "check HOTLINE_BIND_HOST")
    return HotlineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
