"""A TCP proxy a test controls, in front of a real server (PostgreSQL here).

``freeze()``: connections stay open and nothing is forwarded any more (a server or
network that stalls: no FIN, no RST); ``cut()``: every connection is closed and new
ones are refused (the server is down); ``heal()``: forward again.
"""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.mode = "forward"
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.connections = 0
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.mode == "cut":
                client.close()                      # refused, as a stopped server would
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == "forward":
                    sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.close()
            except OSError:
                pass

    def freeze(self) -> None:
        self.mode = "freeze"

    def cut(self) -> None:
        self.mode = "cut"
        with self._lock:
            sockets, self._open = self._open, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def heal(self) -> None:
        """Forward again; connections opened while frozen carry stale half-messages, so drop them."""
        if self.mode == "freeze":
            self.cut()
        self.mode = "forward"

    def close(self) -> None:
        self.server.close()
        self.cut()
