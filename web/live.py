"""Shared view helpers for the live pages (wallboard, agent panel): the app's one Redis client, its one
live-channel hub (web.streams), the key names, listener commands answered as JSON, and "live state
unavailable" (HTTP 503 with a stable error id) whenever Redis cannot be reached."""
from __future__ import annotations

import redis
from flask import Response, current_app, jsonify, stream_with_context

from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.commands import CommandError, send_command
from web.database import release
from web.streams import UNAVAILABLE, LiveHub, live_hub, snapshot_stream


def live_redis():
    """One Redis client per app (its pool is shared by every request and stream)."""
    app = current_app
    if "hotline_redis" not in app.extensions:
        app.extensions["hotline_redis"] = redis_client(app.config["HOTLINE_SETTINGS"])
    return app.extensions["hotline_redis"]


def live_keys() -> Keys:
    return Keys(current_app.config["HOTLINE_SETTINGS"].redis_prefix)


def hub() -> LiveHub:
    """This process's one subscription to the live channel."""
    return live_hub(live_redis(), live_keys().live_channel, current_app.extensions)


def unavailable(error: Exception | None = None):
    """503 JSON: the live state (Redis) cannot be read; the page shows a banner and retries."""
    if error is not None:
        hub().trouble.failed(error)          # logged once per interval, not per request
    response = jsonify(UNAVAILABLE)
    response.status_code = 503
    response.headers["Retry-After"] = "2"
    return response


def register_unavailable(bp) -> None:
    """Any Redis error in the blueprint's views becomes the 503 above instead of a 500."""
    bp.register_error_handler(redis.RedisError, unavailable)


def event_stream(build, *, event: str = "snapshot", share_key=None) -> Response:
    """An SSE response fed by the hub; the first snapshot is built now, so Redis down answers 503.

    The request's database session (its login check) is given back first: a page must not hold a pooled
    connection while it waits for the shared build, nor for the hours it streams."""
    release()
    live = hub()
    first = live.shared(share_key, build)     # a RedisError here → the blueprint's 503
    events = snapshot_stream(live, build, first=first, share_key=share_key, event=event)
    return Response(stream_with_context(events), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def command_response(action: str, **args):
    """Run a listener command; its failure as JSON with a stable error id and an HTTP status."""
    try:
        return jsonify(send_command(live_redis(), live_keys(), action, **args))
    except CommandError as e:
        return jsonify({"ok": False, "error": e.error, "message": e.problem}), e.status
