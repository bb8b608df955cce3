"""One AGI conversation with Asterisk over a FastAGI socket.

``AgiSession`` reuses pyst2's command methods (``stream_file``, ``get_data``,
``set_variable``...) but replaces the parts of ``asterisk.agi.AGI`` that only
work for a process-per-call script on stdin/stdout:

* no SIGHUP handler: ``signal.signal`` raises ``ValueError`` outside the main
  thread, and over a socket Asterisk reports a hangup inline as a ``HANGUP``
  line instead of a signal;
* the ``agi_*`` environment is parsed strictly, so a port scanner or a
  half-sent header is told apart from a call (``MalformedEnvironment``);
* every way the channel can go away during a command (``HANGUP`` line,
  ``511`` dead-channel reply, EOF, connection reset, socket timeout) raises a
  subclass of pyst2's ``AGIHangup``, so handlers catch one exception type;
* pyst2's chatter to stderr goes to the ``agi.session`` logger at DEBUG.
"""
from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import TextIO

from asterisk.agi import (
    AGI,
    AGIAppError,
    AGIHangup,
    AGIInvalidCommand,
    AGIResultHangup,
    AGISIGHUPHangup,
    AGIUnknownError,
    AGIUsageError,
    re_kv,
)

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 8192      # longer than any real agi_* line; bounds memory per connection
MAX_ENV_LINES = 512        # agi_arg_N lines included

_ENV_LINE = re.compile(r"(agi_\w+):[ ]?(.*)")
_REPLY_LINE = re.compile(r"(\d{3})[ -]?(.*)")


class MalformedEnvironment(Exception):
    """The peer did not send a well-formed ``agi_*`` header block.

    ``in_sync`` is true when the block still ended with its blank line, so the
    peer is waiting for commands and can be told why it is turned away.
    """

    def __init__(self, reason: str, *, env: dict[str, str] | None = None, in_sync: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.env = env or {}
        self.in_sync = in_sync


class ChannelHungUp(AGISIGHUPHangup):
    """Asterisk said the channel is gone (``HANGUP`` line or a ``511`` reply)."""


class ConnectionLost(AGIHangup):
    """The socket closed, was reset or stayed silent past its timeout mid-call."""


class _DebugLog:
    """A write-only stream for pyst2's ``self.stderr.write`` calls: one DEBUG record per line."""

    def __init__(self, logger: logging.Logger):
        self._logger = logger
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self._logger.debug("%s", line.strip())
        return len(text)

    def flush(self) -> None:
        pass


class AgiSession(AGI):
    """pyst2's ``AGI`` over a FastAGI connection; safe to use in any thread.

    Build it with :meth:`from_socket` in a server, or from any text-mode file
    pair in tests.  ``AGI.__init__`` is deliberately not called (SIGHUP, stderr
    writes, lenient env parsing); the attributes its methods use are set here:
    ``stdin``, ``stdout``, ``stderr``, ``env`` and ``_got_sighup``.
    """

    def __init__(self, rfile: TextIO, wfile: TextIO, *, sock: socket.socket | None = None,
                 read_environment: bool = True):
        self.stdin = rfile
        self.stdout = wfile
        self.stderr = _DebugLog(log)
        self.env: dict[str, str] = {}
        self._got_sighup = False   # pyst2's "the channel hung up" flag, checked by test_hangup()
        self._secret = False       # inside secret_input(): replies are not logged, even at DEBUG
        self._sock = sock
        self.asterisk_wait_s = 0.0  # time spent waiting for Asterisk's replies (HOTLINE_AGI_TIMING splits it out)
        if read_environment:
            self.read_environment()

    @classmethod
    def from_socket(cls, sock: socket.socket, *, read_environment: bool = True) -> "AgiSession":
        """Wrap a connected socket.  Undecodable bytes (a carrier's GBK caller name) become U+FFFD."""
        rfile = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        wfile = sock.makefile("w", encoding="utf-8", newline="\n")
        return cls(rfile, wfile, sock=sock, read_environment=read_environment)

    # --- environment ----------------------------------------------------
    def read_environment(self) -> dict[str, str]:
        """Read ``agi_key: value`` lines up to the blank line into ``self.env``.

        On a bad line it keeps reading to the blank line (bounded) before
        raising, so the caller may still answer the peer in protocol.
        """
        bad_line: str | None = None
        for _ in range(MAX_ENV_LINES):
            try:
                raw = self.stdin.readline(MAX_LINE_CHARS + 1)
            except TimeoutError as exc:
                raise MalformedEnvironment("no complete AGI environment before the socket timeout",
                                           env=self.env) from exc
            except (OSError, ValueError) as exc:   # reset, closed file
                raise MalformedEnvironment(f"connection failed while reading the AGI environment: {exc!r}",
                                           env=self.env) from exc
            if raw == "":
                what = "before sending anything" if not self.env and bad_line is None else "in the middle of"
                raise MalformedEnvironment(f"peer closed the connection {what} the AGI environment",
                                           env=self.env)
            if len(raw) > MAX_LINE_CHARS:
                raise MalformedEnvironment(f"AGI environment line longer than {MAX_LINE_CHARS} characters",
                                           env=self.env)
            line = raw.rstrip("\r\n")
            log.debug("ENV LINE: %s", line)
            if line == "":
                break
            match = _ENV_LINE.fullmatch(line)
            if match is None:
                bad_line = bad_line if bad_line is not None else line
                continue
            self.env[match.group(1)] = match.group(2)
        else:
            raise MalformedEnvironment(f"AGI environment longer than {MAX_ENV_LINES} lines", env=self.env)
        if bad_line is not None:
            raise MalformedEnvironment(f"not an 'agi_key: value' line: {bad_line[:80]!r}",
                                       env=self.env, in_sync=True)
        return self.env

    # --- commands -------------------------------------------------------
    @staticmethod
    def quote(value: object) -> str:
        """Quote one command argument the way res_agi's parse_args() unquotes it.

        pyst2's ``_quote`` does not escape, so a ``"`` inside a value split it
        into two arguments.  A newline would end the command: refuse it.
        """
        text = str(value)
        if "\n" in text or "\r" in text:
            raise ValueError(f"AGI arguments cannot contain line breaks: {text!r}")
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def _quote(self, string: object) -> str:
        return self.quote(string)

    def test_hangup(self) -> None:
        if self._got_sighup:
            raise ChannelHungUp("channel already hung up")

    def send_command(self, command: str, *args: object) -> None:
        try:
            super().send_command(command, *args)
        except (OSError, ValueError) as exc:   # broken pipe, reset, timeout, closed file
            raise ConnectionLost(f"could not send {command!r}: {exc!r}") from exc

    def _read_reply_line(self) -> str:
        asked = time.perf_counter()
        try:
            raw = self.stdin.readline(MAX_LINE_CHARS + 1)
        except (OSError, ValueError) as exc:
            raise ConnectionLost(f"connection failed while waiting for a reply: {exc!r}") from exc
        finally:
            self.asterisk_wait_s += time.perf_counter() - asked
        if raw == "":
            raise ConnectionLost("Asterisk closed the connection")
        line = raw.strip()
        log.debug("RESULT_LINE: %s", "(secret input, not logged)" if self._secret else line)
        if line == "HANGUP":
            self._got_sighup = True
            raise ChannelHungUp("caller hung up (HANGUP)")
        return line

    def get_result(self, stdin: object = None) -> dict[str, tuple[str, str]]:
        """Read one reply; same result dict and exceptions as pyst2, except as noted.

        Unlike pyst2, ``(hangup)`` only means a hangup with ``result=-1`` (as
        RECORD FILE sends it): a variable whose value is "hangup" is a value.
        """
        line = self._read_reply_line()
        match = _REPLY_LINE.match(line)
        if match is None:
            raise AGIUnknownError(line, "Unparsable reply")
        code, response = match.groups()
        if code == "200":
            result = {"result": ("", "")}
            for key, value, data in re_kv.findall(response):
                result[key] = (value, data)
            value, data = result["result"]
            if value == "-1":
                if data == "hangup":
                    raise AGIResultHangup("User hungup during execution")
                raise AGIAppError("Error executing application, or hangup")
            return result
        if code == "510":
            raise AGIInvalidCommand(response)
        if code == "511":
            self._got_sighup = True
            raise ChannelHungUp(response or "command not permitted on a dead channel")
        if code == "520":
            usage = [line]
            while not (line.startswith("520 ") or line == "520"):
                line = self._read_reply_line()
                usage.append(line)
            raise AGIUsageError("\n".join(usage) + "\n")
        raise AGIUnknownError(int(code), "Unhandled code or undefined response")

    def get_variable_or_none(self, name: str) -> str | None:
        """The variable's value, or None when it is not set (``200 result=0``)."""
        value, data = self.execute("GET VARIABLE", self.quote(name))["result"]
        return data if value == "1" else None

    # --- socket ---------------------------------------------------------
    @contextlib.contextmanager
    def secret_input(self) -> Iterator[None]:
        """Around a GET DATA for an ID number or PIN: the reply (the keys) is kept out of the DEBUG log."""
        previous, self._secret = self._secret, True
        try:
            yield
        finally:
            self._secret = previous

    @contextlib.contextmanager
    def timeout(self, seconds: float | None) -> Iterator[None]:
        """Temporarily change the read timeout, e.g. around ``EXEC Dial`` or ``RECORD FILE``."""
        if self._sock is None:
            yield
            return
        previous = self._sock.gettimeout()
        self._sock.settimeout(seconds)
        try:
            yield
        finally:
            self._sock.settimeout(previous)

    def close(self) -> None:
        """Close the file objects: until they are closed, ``sock.close()`` keeps the fd open."""
        for stream in (self.stdout, self.stdin):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
