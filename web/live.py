"""Shared view helpers for the live pages (wallboard, agent panel): the app's one Redis client,
the key names, and listener commands answered as JSON."""
from __future__ import annotations

from flask import current_app, jsonify

from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.commands import CommandError, send_command


def live_redis():
    """One Redis client per app (its pool is shared by every request and stream)."""
    app = current_app
    if "hotline_redis" not in app.extensions:
        app.extensions["hotline_redis"] = redis_client(app.config["HOTLINE_SETTINGS"])
    return app.extensions["hotline_redis"]


def live_keys() -> Keys:
    return Keys(current_app.config["HOTLINE_SETTINGS"].redis_prefix)


def command_response(action: str, **args):
    """Run a listener command; its failure as JSON with a stable error id and an HTTP status."""
    try:
        return jsonify(send_command(live_redis(), live_keys(), action, **args))
    except CommandError as e:
        return jsonify({"ok": False, "error": e.error, "message": e.problem}), e.status
