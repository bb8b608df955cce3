"""Every way the `hotline` command commonly fails prints the problem and the fix, never a traceback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from hotline.config import PROJECT_DIR, Settings
from ops import services


def hotline(tmp_path, *args, env=None, timeout=60):
    full_env = {**os.environ, "HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "2700",
                "HOTLINE_REDIS_PREFIX": "hltest-cli:", **(env or {})}
    full_env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=full_env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=timeout)


def assert_clear_error(done, *fragments):
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "\n  fix: " in done.stderr, done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


def test_database_driver_that_is_not_installed(tmp_path):
    done = hotline(tmp_path, "db", "upgrade", env={"DATABASE_URL": "mysql://hotline@localhost/hotline"})
    assert_clear_error(done, "mysqlclient")


def test_port_already_taken(tmp_path):
    port = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "2700"}).ports.agi
    assert hotline(tmp_path, "db", "upgrade").returncode == 0
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # past an earlier test's TIME_WAITs
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        done = hotline(tmp_path, "agi", "serve")
    assert_clear_error(done, f"{port}", "already in use")


def test_call_when_asterisk_is_not_running(tmp_path):
    assert hotline(tmp_path, "db", "upgrade").returncode == 0
    done = hotline(tmp_path, "call", "12345")
    assert_clear_error(done, "AMI", "hotline asterisk status")


def test_prompts_without_espeak_and_sox(tmp_path):
    done = hotline(tmp_path, "prompts", "build", env={"PATH": "/nonexistent"})
    assert_clear_error(done, "espeak-ng", "apt-get install")


def test_unknown_agent_for_softphone_settings(tmp_path):
    assert hotline(tmp_path, "db", "upgrade").returncode == 0
    assert hotline(tmp_path, "seed").returncode == 0
    assert_clear_error(hotline(tmp_path, "softphone", "9999"), "no agent 9999")


def test_bad_dialed_number_for_a_test_call(tmp_path):
    assert hotline(tmp_path, "db", "upgrade").returncode == 0
    done = hotline(tmp_path, "call", "123,45")
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_starting_a_service_twice_starts_it_once(tmp_path):
    from db.migrate import upgrade

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "2700",
                                  "HOTLINE_REDIS_PREFIX": "hltest-cli:"})
    upgrade(settings.database_url)
    agi = next(s for s in services.python_services(settings) if s.name == "agi")
    try:
        pid, started = services.start(settings, agi)
        again, started_again = services.start(settings, agi)
        assert started and not started_again and again == pid
        assert services.agi_answers(settings.ports.agi)
        assert services.stop(settings, "agi")
        assert services.pid_of(settings, "agi") is None
    finally:
        services.shutdown_supervisor(settings)
    assert not services.supervisor_running(settings)


def test_asterisk_that_cannot_start_says_where_to_look(tmp_path):
    from hotline.errors import HotlineError
    from ops.asterisk.binary import locate
    from ops.asterisk.instance import AsteriskInstance

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "2700"})
    broken = AsteriskInstance("pbx", locate(), settings, sip_port=settings.ports.sip, ami_port=settings.ports.ami,
                              rtp_start=settings.ports.rtp_start)
    broken.etc_dir.mkdir(parents=True)
    broken.config_file.write_text("[directories]\nastdbdir => /nonexistent/nowhere\n")
    try:
        with pytest.raises(HotlineError) as caught:
            broken.start(timeout=15)
    finally:
        broken.binary.unexpose(settings.run_dir)
    assert "exited at start" in caught.value.problem and str(broken.log_file) in caught.value.fix
    assert not broken.is_running()
