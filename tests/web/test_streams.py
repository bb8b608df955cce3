"""The live streams: one Redis subscription per process fanned out to every open page, and Redis down or
restarted answered as "live state unavailable" (503 JSON, an ``unavailable`` event), never a 500.

The Redis that is stopped and restarted is the test's own (tests/support/redis_server.py).
"""
from __future__ import annotations

import json
import secrets
import threading
import time

import pytest

from hotline.config import Settings
from hotline.keys import Keys
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_for
from tests.support.web import LOGIN_FOR_ROLE, csrf_of, log_in
from web import create_app
from web.streams import UNAVAILABLE_ERROR, LiveHub, snapshot_stream


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def hub(own_redis):
    hub = LiveHub(own_redis.client(), "hltest:live").start()
    yield hub
    hub.close()


def frames(stream, n: int) -> list[str]:
    return [next(stream) for _ in range(n)]


def data_of(frame: str) -> dict:
    return json.loads(frame.split("data: ", 1)[1])


def test_many_streams_share_one_subscription_and_one_build_per_change(own_redis, hub):
    client = own_redis.client()
    wait_for(hub.subscribed.is_set, 5, "the hub subscribed")
    built = []

    def build():
        built.append(time.monotonic())
        return {"n": len(built)}

    streams = [snapshot_stream(hub, build, share_key="board", min_interval=0.05, heartbeat=60, refresh=60)
               for _ in range(20)]
    for s in streams:
        assert next(s).startswith("retry:")
        assert next(s).startswith("event: snapshot")
    assert client.pubsub_numsub("hltest:live")[0][1] == 1     # 20 pages, one subscription
    before = len(built)
    got: list[str] = []

    def read(s):
        got.append(next(s))

    readers = [threading.Thread(target=read, args=(s,)) for s in streams]
    for r in readers:
        r.start()
    sent = time.monotonic()
    pipe = client.pipeline(transaction=False)
    for _ in range(50):
        pipe.publish("hltest:live", "x")
    pipe.execute()
    for r in readers:
        r.join(5)
    assert len(got) == 20 and all(f.startswith("event: snapshot") for f in got)
    assert time.monotonic() - sent < 1.0
    assert len(built) - before <= 2          # 50 publishes × 20 pages: one or two shared builds
    for s in streams:
        s.close()


def test_the_streams_of_one_key_share_one_encoded_frame_per_build(own_redis, hub, monkeypatch):
    """At a peak a wallboard frame is ~100 KB: it is encoded once per change, not once per open page."""
    import web.streams as streams_module

    encoded: list[str] = []
    real_sse = streams_module.sse

    def counting_sse(event, data):
        encoded.append(event)
        return real_sse(event, data)

    monkeypatch.setattr(streams_module, "sse", counting_sse)
    client = own_redis.client()
    wait_for(hub.subscribed.is_set, 5, "the hub subscribed")
    built = []

    def build():
        built.append(1)
        return {"n": len(built), "callers": [{"caller": f"139{i:08d}", "line": "12315"} for i in range(500)]}

    streams = [snapshot_stream(hub, build, share_key="board", min_interval=0.05, heartbeat=60, refresh=60)
               for _ in range(20)]
    firsts = []
    for s in streams:
        assert next(s).startswith("retry:")
        firsts.append(next(s))
    assert len(encoded) == len(built) and len(built) <= 3     # 20 pages: one encoding per build
    assert {data_of(f)["n"] for f in firsts} == set(range(1, len(built) + 1))
    encoded.clear()
    before = len(built)
    got: list[str] = []
    readers = [threading.Thread(target=lambda s=s: got.append(next(s))) for s in streams]
    for r in readers:
        r.start()
    client.publish("hltest:live", "x")
    for r in readers:
        r.join(5)
    assert len(got) == 20 and len(built) > before
    assert len(encoded) == len(built) - before                # one encoding per new build, for 20 pages
    assert len({id(f) for f in got}) == len(built) - before   # the very same text object went to each page
    n_built, n_encoded = len(built), len(encoded)
    private = snapshot_stream(hub, build, share_key=None)     # a stream of its own is encoded for itself
    next(private), next(private)
    assert (len(built), len(encoded)) == (n_built + 1, n_encoded + 1)
    for s in [*streams, private]:
        s.close()


def test_a_stream_says_unavailable_while_redis_is_down_and_resumes_after_a_restart(own_redis, hub):
    wait_for(hub.subscribed.is_set, 5, "the hub subscribed")
    client = own_redis.client()

    def build():
        return {"value": (client.get("v") or b"").decode()}

    client.set("v", "before")
    stream = snapshot_stream(hub, build, min_interval=0.05, heartbeat=60, refresh=60)
    assert next(stream).startswith("retry:") and data_of(next(stream)) == {"value": "before"}
    own_redis.stop()
    frame = next(stream)
    assert frame.startswith("event: unavailable") and data_of(frame)["error"] == UNAVAILABLE_ERROR
    own_redis.start()
    own_redis.client().set("v", "after")
    started = time.monotonic()
    frame = next(stream)
    assert frame.startswith("event: snapshot") and data_of(frame) == {"value": "after"}
    assert time.monotonic() - started < 5
    stream.close()


# --- the real views --------------------------------------------------------------------------
@pytest.fixture
def app_on_own_redis(database_url, passwords, tmp_path, own_redis):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "REDIS_URL": own_redis.url, "HOTLINE_REDIS_PREFIX": f"hltest-st-{secrets.token_hex(3)}:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True})
    yield app, Keys(settings.redis_prefix)
    for hub in [v for v in app.extensions.values() if isinstance(v, LiveHub)]:
        hub.close()


def logged_in(app, passwords, role: str):
    c = app.test_client()
    assert log_in(c, LOGIN_FOR_ROLE[role], passwords[LOGIN_FOR_ROLE[role]]).status_code == 302
    c.csrf = csrf_of(c)
    return c


@pytest.mark.parametrize("role, path", [("supervisor", "/supervisor/wallboard/snapshot"),
                                        ("supervisor", "/supervisor/wallboard/stream"),
                                        ("agent", "/agent/state/"), ("agent", "/agent/state/stream")])
def test_redis_down_answers_503_live_state_unavailable(app_on_own_redis, passwords, own_redis, role, path):
    app, _ = app_on_own_redis
    client = logged_in(app, passwords, role)
    assert client.get(path, buffered=False).status_code == 200
    own_redis.stop()
    # A stream opened within MIN_INTERVAL may share the snapshot built just before the stop; once the
    # process's hub has seen its subscription drop, no stream is opened on old data.
    hubs = [v for v in app.extensions.values() if isinstance(v, LiveHub)]
    wait_for(lambda: not any(h.available for h in hubs), what="the live hub notices Redis is down")
    response = client.get(path)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == UNAVAILABLE_ERROR and response.headers["Retry-After"]


def test_redis_down_the_pages_still_load_and_say_so(app_on_own_redis, passwords, own_redis):
    app, _ = app_on_own_redis
    own_redis.stop()
    board = logged_in(app, passwords, "supervisor").get("/supervisor/wallboard/")
    assert board.status_code == 200 and 'id="live-unavailable"' in board.get_data(as_text=True)
    panel = logged_in(app, passwords, "agent").get("/agent/state/panel")
    assert panel.status_code == 200 and "live state unavailable" in panel.get_data(as_text=True)


def test_actions_answer_503_when_redis_is_down(app_on_own_redis, passwords, own_redis):
    app, _ = app_on_own_redis
    client = logged_in(app, passwords, "supervisor")
    own_redis.stop()
    response = client.post("/supervisor/wallboard/agents/1001/pause", data={"csrf_token": client.csrf})
    assert response.status_code == 503 and response.get_json()["error"] == UNAVAILABLE_ERROR


def test_the_agent_workspace_has_one_stream_and_polls_nothing(app_on_own_redis, passwords):
    app, _ = app_on_own_redis
    client = logged_in(app, passwords, "agent")
    page = client.get("/agent/").get_data(as_text=True)
    assert "setInterval" not in page and "current-call.json" not in page
    assert page.count("<iframe") == 1 and "/agent/state/panel" in page      # the panel: the one stream
    assert "hotline-agent-state" in page                                    # new calls come from it
    script = client.get("/static/wallboard/agent_panel.js").get_data(as_text=True)
    assert script.count("new EventSource") == 1 and "postMessage" in script


@pytest.mark.parametrize("role, path", [("supervisor", "/supervisor/wallboard/stream"),
                                        ("agent", "/agent/state/stream")])
def test_an_open_stream_holds_no_database_connection(app_on_own_redis, passwords, role, path):
    """A stream lives for hours: the connection its login check took goes back to the pool before it streams
    (at a peak 150 open pages per web process held all 15, and every later page waited 30 s for one)."""
    app, _ = app_on_own_redis
    pool = app.extensions["hotline_sessions"].kw["bind"].pool
    clients = [logged_in(app, passwords, role) for _ in range(4)]
    before = pool.checkedout()
    streaming, done, problems = threading.Barrier(len(clients) + 1, timeout=20), threading.Event(), []

    def page(client):                 # each page in its own thread, as each open stream is its own request
        response = None
        try:
            response = client.get(path, buffered=False)
            chunks = response.response
            assert response.status_code == 200
            assert next(chunks).startswith(b"retry:") and next(chunks).startswith(b"event:")
        except Exception as e:        # noqa: BLE001 - reported below, the barrier must not hang
            problems.append(repr(e))
        streaming.wait()
        done.wait(20)
        if response is not None:
            response.close()

    pages = [threading.Thread(target=page, args=(c,)) for c in clients]
    for t in pages:
        t.start()
    streaming.wait()                  # four streams open (the later ones may share the first's snapshot)
    held = pool.checkedout() - before
    done.set()
    for t in pages:
        t.join(20)
    assert not problems, problems
    assert held == 0, f"{held} open streams keep a database connection checked out"


def test_pages_opening_at_once_while_a_snapshot_is_built_never_starve_the_build(app_on_own_redis, passwords,
                                                                               own_redis, monkeypatch):
    """The reconnect storm of a load run: 300 pages opened again within a second while a stream rebuilt the
    shared snapshot. Each new page waited for that build holding the connection of its login check; the build
    needed one for the surge status and found the pool (5 + 10) empty: 30 s of silence on every wallboard."""
    import web.wallboard

    app, keys = app_on_own_redis
    real_status = web.wallboard.surge.surge_status
    slow, building = threading.Event(), threading.Event()

    def slow_surge_status(session):
        if slow.is_set():
            building.set()
            time.sleep(0.5)        # the build holds the shared-build lock; the new pages queue behind it
        return real_status(session)

    monkeypatch.setattr(web.wallboard.surge, "surge_status", slow_surge_status)
    first, clients = logged_in(app, passwords, "supervisor"), [logged_in(app, passwords, "supervisor")
                                                                for _ in range(20)]
    results: list[float | str] = []
    streaming, rebuilt, done = threading.Event(), [], threading.Event()

    def open_page():               # a page that is streaming already, in a thread of its own like each request
        response = first.get("/supervisor/wallboard/stream", buffered=False)
        chunks = response.response
        assert next(chunks).startswith(b"retry:") and next(chunks).startswith(b"event:")
        streaming.set()
        rebuilt.append(next(chunks))           # its rebuild after the change below
        done.wait(30)
        response.close()

    def page(client):
        started = time.monotonic()
        try:
            response = client.get("/supervisor/wallboard/stream", buffered=False)
            body = response.response
            assert response.status_code == 200 and next(body).startswith(b"retry:")
            assert next(body).startswith(b"event: snapshot")
            results.append(time.monotonic() - started)
            response.close()
        except Exception as e:     # noqa: BLE001 - reported below
            results.append(repr(e))

    streamer = threading.Thread(target=open_page)
    streamer.start()
    assert streaming.wait(10)
    slow.set()
    own_redis.client().publish(keys.live_channel, "x")
    assert building.wait(10), "the open page did not rebuild after the change"
    pages = [threading.Thread(target=page, args=(c,)) for c in clients]
    for t in pages:
        t.start()
    for t in pages:
        t.join(60)
    done.set()
    streamer.join(10)
    assert len(results) == 20 and all(isinstance(r, float) for r in results), results
    assert max(results) < 10, f"a page waited {max(results):.1f} s for its first snapshot"
    assert rebuilt and rebuilt[0].startswith(b"event: snapshot")
