"""A small demo department system (演示部门业务系统) standing in for a real one in tests and demos.

``python -m selfservice.demo_department --port 3790 [--delay 0]``: answers
``POST /api/v1/contributions`` (社保缴费记录) with JSON from the ID number and PIN it is
sent, after ``delay`` seconds; ``POST /control/delay`` sets the delay while it runs
(a test makes it slow).  Nothing it receives is logged.
"""
from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEMO_RECORDS = {
    ("370102199001011234", "123456"): {"months_paid": 96, "last_month": "2026-11", "balance_yuan": 52340},
    ("37010219850315002X", "246810"): {"months_paid": 143, "last_month": "2026-10", "balance_yuan": 81275},
}


class DemoDepartment(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], delay_s: float = 0.0):
        super().__init__(address, _Handler)
        self.delay_s = delay_s
        self.stopped = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: DemoDepartment

    def log_message(self, format, *args):   # noqa: A002 - never log what callers sent
        pass

    def do_POST(self):   # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._send(400, {"error": "body is not JSON"})
        if self.path == "/control/delay":
            self.server.delay_s = float(body.get("seconds", 0))
            return self._send(200, {"delay_s": self.server.delay_s})
        if self.path != "/api/v1/contributions":
            return self._send(404, {"error": "no such path"})
        if self.server.stopped.wait(self.server.delay_s):
            return
        record = DEMO_RECORDS.get((str(body.get("id_number")), str(body.get("pin"))))
        if record is None:
            return self._send(401, {"result": "no_match"})
        return self._send(200, {"result": "ok", **record})

    def _send(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up waiting (its timeout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3790)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    server = DemoDepartment((args.host, args.port), args.delay)
    try:
        server.serve_forever()
    finally:
        server.stopped.set()
        server.server_close()


if __name__ == "__main__":
    main()
