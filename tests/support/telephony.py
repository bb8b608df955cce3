"""A complete hotline on the real Asterisk for integration tests.

Each test session gets its own run folder, database, Redis prefix and port block
(HOTLINE_PORT_OFFSET), so it never disturbs an installation running on the
same machine. Asterisk (PBX + carrier simulator) runs from ``asterisk_conf/``;
the Python services run as real processes under supervisord, started the way `hotline up` does.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hotline.ami import AmiClient
from hotline.config import PROJECT_DIR, Settings
from ops import services
from ops.asterisk import binary, render
from ops.runtime import render_asterisk
from tests.support.waiting import wait_for

TEST_PORT_OFFSET = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "2000"))
WRAPUP_SECONDS = 1


@dataclass
class Hotline:
    settings: Settings
    env: dict[str, str]
    passwords: dict[str, str] | None = None   # demo web logins → generated password
    _engines: dict = field(default_factory=dict, repr=False)   # database URL → the tests' one engine on it

    # --- building blocks --------------------------------------------------------
    @property
    def instances(self):
        return render.instances(self.settings, binary.locate(self.settings.asterisk_root))

    @property
    def pbx(self):
        return self.instances[0]

    @property
    def carrier(self):
        return self.instances[1]

    def service(self, name: str) -> services.Service:
        return next(s for s in services.python_services(self.settings) if s.name == name)

    def start_service(self, name: str) -> int:
        return services.start(self.settings, self.service(name))[0]

    def stop_service(self, name: str) -> None:
        services.stop(self.settings, name)

    def session_factory(self):
        """Sessions on one engine per database for the whole life of the hotline (disposed by
        stop_hotline), not an engine per call whose pooled connections stay open until collected. No
        pool: a test's session closes its connection, and one a test never closes (``factory()().get(…)``)
        holds its own until collected instead of exhausting a pool."""
        from sqlalchemy.pool import NullPool

        from db.session import make_engine, make_session_factory

        url = self.settings.database_url
        if url not in self._engines:
            self._engines[url] = make_engine(url, poolclass=NullPool)
        return make_session_factory(self._engines[url])

    def dispose_engines(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def pbx_ami(self) -> AmiClient:
        return AmiClient("127.0.0.1", self.settings.ports.ami, *self.settings.ami_login("cli"))

    def carrier_ami(self) -> AmiClient:
        return AmiClient("127.0.0.1", self.settings.ports.carrier_ami, *self.settings.ami_login("carriercli"))

    # --- what tests do ---------------------------------------------------------------
    def hotline_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run the real `hotline` command against this installation."""
        return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=self.env, cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=timeout)

    def call(self, number: str, *extra: str) -> dict:
        """`hotline call NUMBER ...`; the printed JSON call record."""
        done = self.hotline_cli("call", number, *extra)
        assert done.returncode == 0, f"hotline call {number} failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    def set_softphone(self, agent_sip: str, mode: str) -> None:
        """answer | busy | noanswer for one simulated softphone."""
        self.carrier.cli(f"dialplan set global SOFTPHONE_{agent_sip} {mode}")

    def registered_agents(self) -> set[str]:
        out = self.pbx.cli("pjsip show contacts")
        return {line.split("/")[0].split()[-1] for line in out.splitlines()
                if "Contact:" in line and "agent" in line and "Avail" in line}

    def wait_registered(self, agents: set[str], timeout: float = 15.0) -> None:
        wait_for(lambda: agents <= self.registered_agents(), timeout, f"softphones {sorted(agents)} registered",
                 interval=0.2)

    def login_all_agents(self) -> None:
        """Queue membership is dynamic: log every agent in (QueueAdd) and wait until QueueStatus shows it."""
        from queue_logic.agent_sessions import login_direct
        from queue_logic.directory import load_directory

        with self.session_factory()() as session:
            agents = [a for a in load_directory(session).agents.values() if a.queues]
        with self.pbx_ami() as ami:
            login_direct(ami, agents)

    def web_app(self):
        """The Flask app on this installation's database (use its test_client())."""
        from web import create_app

        return create_app({"HOTLINE_SETTINGS": self.settings, "TESTING": True})

    def agi_log(self) -> str:
        return (self.settings.log_dir / "agi.log").read_text(errors="replace")

    def pbx_call_log(self, uniqueid: str) -> list[str]:
        """The PBX log lines of one call (Asterisk tags them with the call's [C-xxxxxxxx] id)."""
        text = (self.pbx.base_dir / "log" / "messages").read_text(errors="replace")
        tag = next((line.split("][", 1)[1].split("]", 1)[0] for line in text.splitlines()
                    if f"__HOTLINE_CALLER_UID={uniqueid}" in line), None)
        assert tag, f"call {uniqueid} not in the PBX log"
        return [line for line in text.splitlines() if f"[{tag}]" in line]


def start_hotline(run_dir: Path, database_url: str | None = None, redis_url: str | None = None,
                  extra_env: dict[str, str] | None = None) -> Hotline:
    """``redis_url``: a Redis of the test's own (tests/support/redis_server.py), to restart at will."""
    env = dict(os.environ)
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({
        "HOTLINE_RUN_DIR": str(run_dir),
        "HOTLINE_PORT_OFFSET": str(TEST_PORT_OFFSET),
        "HOTLINE_REDIS_PREFIX": f"hltest-{secrets.token_hex(4)}:",
        "DATABASE_URL": database_url or f"sqlite:///{run_dir / 'hotline.db'}",
    })
    env.pop("HOTLINE_SOFTPHONES", None)
    # 回拨 offers off: test calls must not hear an offer because earlier modules' calls waited;
    # tests/integration/test_virtual_hold_calls.py turns it on with `dialplan set global VHOLD_OFFER_S`
    env["HOTLINE_VIRTUAL_HOLD_OFFER_S"] = "0"
    env.update(extra_env or {})
    settings = Settings.from_env(env)
    settings.ensure_dirs()
    hotline = Hotline(settings, env)

    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import session_scope

    upgrade(settings.database_url)
    with session_scope(hotline.session_factory()) as session:
        seed(session, ports=settings.ports)
        hotline.passwords = seed_users(session)
        # Back-to-back test calls: a 15 s wrap-up would leave no free agent for the next test.
        from db.models import Queue
        for queue in session.query(Queue):
            queue.wrapup_seconds = WRAPUP_SECONDS
    try:
        instances = render.instances(settings, binary.locate(settings.asterisk_root, build=True))
        render_asterisk(settings, instances)
        for inst in instances:
            inst.start()
        hotline.start_service("agi")
        hotline.wait_registered({"agent1001", "agent1002", "agent1003", "agent1004"})
        hotline.login_all_agents()
    except BaseException:
        stop_hotline(hotline)
        raise
    return hotline


def stop_hotline(hotline: Hotline) -> None:
    from hotline.redis_conn import redis_client
    from ops.runtime import system_down

    hotline.dispose_engines()
    system_down(hotline.settings, echo=lambda *_: None)
    try:
        client = redis_client(hotline.settings)
        keys = list(client.scan_iter(f"{hotline.settings.redis_prefix}*"))
        if keys:
            client.delete(*keys)
    except Exception:
        pass


def citizen_application(hotline: Hotline, caller: str) -> str:
    """The dialplan application the citizen's channel (from the carrier, caller ID ``caller``) runs on the PBX now.

    "" when the channel is gone.
    """
    for row in hotline.pbx.cli("core show channels concise").splitlines():
        parts = row.split("!")
        if len(parts) > 7 and parts[0].startswith("PJSIP/carrier") and parts[7] == caller:
            return parts[5]
    return ""
