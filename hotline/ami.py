"""A small synchronous AMI client for short-lived tools: the CLI and the tests.

The long-lived AMI listener (queue_logic) uses panoramisk; a command-line tool
that sends one Originate or reads one QueueStatus is clearer without an event loop.
"""
from __future__ import annotations

import itertools
import socket
import time
from collections import deque
from typing import Callable

from hotline.errors import HotlineError

Message = dict[str, str]


class AmiClient:
    def __init__(self, host: str, port: int, username: str, secret: str, timeout: float = 10.0):
        self.host, self.port, self.username, self.secret, self.timeout = host, port, username, secret, timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._events: deque[Message] = deque()
        self._ids = itertools.count(1)

    def __enter__(self) -> "AmiClient":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as e:
            raise HotlineError(f"cannot reach AMI at {self.host}:{self.port}: {e.strerror or e}",
                               "is Asterisk running? `hotline asterisk status`") from None
        self._read_line()  # banner: "Asterisk Call Manager/x.y"
        reply = self.action("Login", Username=self.username, Secret=self.secret, Events="on")
        if reply.get("Response") != "Success":
            raise HotlineError(f"AMI login as {self.username} refused: {reply.get('Message')}",
                               "the AMI secret in the run folder does not match the rendered manager.conf; "
                               "`hotline asterisk up` renders it again")

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._send({"Action": "Logoff"})
            except OSError:
                pass
            self._sock.close()
            self._sock = None

    # --- actions ---------------------------------------------------------------
    def action(self, name: str, **fields: str | list[str]) -> Message:
        """Send one action and return its response; events that arrive meanwhile are kept."""
        action_id = f"hl-{next(self._ids)}"
        self._send({"Action": name, "ActionID": action_id, **fields})
        while True:
            msg = self._read_message()
            if "Event" in msg and msg.get("ActionID") != action_id:
                self._events.append(msg)
            elif msg.get("ActionID") == action_id and "Response" in msg:
                return msg
            elif "Event" in msg:
                self._events.append(msg)

    def action_list(self, name: str, **fields: str) -> list[Message]:
        """An action whose answer is a list of events closed by ``EventList: Complete``."""
        action_id = f"hl-{next(self._ids)}"
        self._send({"Action": name, "ActionID": action_id, **fields})
        items: list[Message] = []
        while True:
            msg = self._read_message()
            if msg.get("ActionID") != action_id:
                if "Event" in msg:
                    self._events.append(msg)
                continue
            if msg.get("Response") == "Error":
                raise HotlineError(f"AMI {name} failed: {msg.get('Message')}")
            if msg.get("EventList") == "Complete":
                return items
            if "Event" in msg:
                items.append(msg)

    def wait_event(self, match: Callable[[Message], bool], timeout: float) -> Message | None:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self._events):
            if match(ev):
                del self._events[i]
                return ev
        while (left := deadline - time.monotonic()) > 0:
            msg = self._read_message(timeout=left)
            if msg is None:
                return None
            if match(msg):
                return msg
        return None

    def command(self, cli: str) -> str:
        reply = self.action("Command", Command=cli)
        return reply.get("Output", "")

    # --- wire format ---------------------------------------------------------------
    def _send(self, fields: dict[str, str | list[str]]) -> None:
        """A list value is sent as repeated headers (Originate takes several ``Variable:``)."""
        assert self._sock is not None, "not connected"
        lines = [f"{k}: {item}\r\n" for k, v in fields.items() for item in (v if isinstance(v, list) else [v])]
        data = "".join(lines) + "\r\n"
        self._sock.sendall(data.encode())

    def _read_line(self) -> str:
        while b"\r\n" not in self._buffer:
            self._recv(self.timeout)
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def _recv(self, timeout: float) -> None:
        assert self._sock is not None, "not connected"
        self._sock.settimeout(timeout)
        chunk = self._sock.recv(65536)
        if not chunk:
            raise HotlineError(f"AMI at {self.host}:{self.port} closed the connection")
        self._buffer += chunk

    def _read_message(self, timeout: float | None = None) -> Message | None:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\r\n\r\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                if timeout is not None:
                    return None
                raise HotlineError(f"AMI at {self.host}:{self.port} did not answer within {self.timeout:.0f}s")
            try:
                self._recv(left)
            except socket.timeout:
                continue
        raw, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        msg: Message = {}
        output: list[str] = []
        for line in raw.decode(errors="replace").split("\r\n"):
            key, sep, value = line.partition(": ")
            if not sep:
                output.append(line)
            elif key == "Output":  # Command responses repeat "Output:" per line
                output.append(value)
            else:
                msg[key] = value
        if output:
            msg["Output"] = "\n".join(output)
        return msg
