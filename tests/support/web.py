"""Web test helpers: demo logins per role, the CSRF token of a page, posting forms and JSON."""
from __future__ import annotations

import re

ROLES = ("agent", "reviewer", "clerk", "supervisor", "admin")
# the demo login used for each role (db/seed_data/users.yaml)
LOGIN_FOR_ROLE = {"agent": "agent1001", "reviewer": "reviewer", "clerk": "scjgj", "supervisor": "supervisor",
                  "admin": "admin"}
# ... and the wider cast of the ticket tests
ROLE_LOGINS = {**LOGIN_FOR_ROLE, "agent2": "agent1002", "clerk_cgj": "cgj", "clerk_lixia": "lixia"}


def csrf_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)})


def post_form(client, path: str, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def post_json(client, path: str, body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})
