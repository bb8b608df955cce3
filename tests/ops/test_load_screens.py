"""The load generator's screens (ops/load/screens.py) against a small SSE server of the test's own: streams
opened in one loop, refused ones and ones the server ends counted as failed and opened again RETRY s later
(as EventSource does), the time without a stream summed, lags measured from the probes. The real web tier is
read by the load smoke test (tests/integration/test_load_smoke.py)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops.load import screens

SENDS = 60          # a snapshot every 0.1 s for 6 s, then the server ends the response


class _Publisher:
    def __init__(self):
        self.published = threading.Event()

    def publish(self, channel, message):
        self.published.set()


@pytest.fixture
def sse_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if "agent" in self.path:
                self.send_response(503)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            try:
                for _ in range(SENDS):
                    self.wfile.write(b'event: snapshot\ndata: {"ok": true}\n\n')
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128        # socketserver's 5 would delay the screens' simultaneous connects

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_streams_are_read_in_one_loop_and_refusals_count_as_failed(sse_server):
    publisher = _Publisher()
    stats, threads = screens.open_screens(sse_server, 20, 3, {"supervisor": "s=1", "agent": "a=1"},
                                          screens.PROBE_EVERY + 1, publisher, "live")
    for t in threads:
        t.join(timeout=screens.LATE + 5)
        assert not t.is_alive(), t.name
    assert len(threads) == 2                 # one probe thread, one loop for every screen
    assert stats.opened == 20, (stats.opened, stats.errors)
    # the 3 refused screens try again every RETRY s: at least twice each within the 3 s run
    assert stats.failed >= 6 and all("503" in e for e in stats.errors), stats.errors
    assert publisher.published.is_set() and stats.lags
    assert max(stats.lags) < 2.0, max(stats.lags)   # a snapshot every 0.1 s follows each probe at once
    assert 3 / 23 <= stats.down_share < 5 / 23, stats.down_share   # the refused 3 of 23 were never up


def test_a_stream_the_server_ends_is_opened_again_and_its_gap_counted(sse_server):
    # each response ends after 6 s; the screen reopens it RETRY s later, as EventSource does
    seconds = 15
    stats, threads = screens.open_screens(sse_server, 2, 0, {"supervisor": "s=1", "agent": "a=1"}, seconds,
                                          _Publisher(), "live")
    threads[1].join(timeout=seconds + screens.LATE + 5)
    assert not threads[1].is_alive()
    # per screen: up 0–6 s, closed, down 2 s, up 8–14 s, closed, down to the end at 15 s
    assert stats.failed == 4 and stats.opened == 4, (stats.opened, stats.errors)
    assert all("closed by the server" in e for e in stats.errors), stats.errors
    assert 0.15 <= stats.down_share <= 0.25, stats.down_share   # about 3 s of 15 per screen
