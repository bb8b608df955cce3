"""`hotline security ...` (ops/cli/security.py) on a real database, through click's CliRunner."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from accounts import throttle
from db.models import SecurityEvent, User
from db.session import make_engine, make_session_factory
from ops.cli.security import security
from tests.support.databases import migrate_and_seed


def test_lockouts_lift_set_role_and_set_password(database_url, tmp_path, monkeypatch):
    migrate_and_seed(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(tmp_path))
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory() as s:
        for _ in range(10):
            throttle.register_failure(s, "admin", "10.1.1.1")
        s.commit()
    runner = CliRunner()
    listed = runner.invoke(security, ["lockouts"])
    assert listed.exit_code == 0 and "user:admin\t10 failures" in listed.output
    assert runner.invoke(security, ["lift", "user:admin"]).exit_code == 0
    again = runner.invoke(security, ["lift", "user:admin"])
    assert again.exit_code == 1 and "no delay or lockout" in again.output

    assert runner.invoke(security, ["set-role", "reviewer", "supervisor"]).output == "reviewer: supervisor\n"
    assert "unknown role" in runner.invoke(security, ["set-role", "reviewer", "boss"]).output
    assert "there is no user" in runner.invoke(security, ["set-role", "nobody", "agent"]).output

    weak = runner.invoke(security, ["set-password", "reviewer"], input="short\nshort\n")
    assert weak.exit_code == 1 and "password refused" in weak.output
    ok = runner.invoke(security, ["set-password", "reviewer"], input="Night-Shift-2026\nNight-Shift-2026\n")
    assert ok.exit_code == 0, ok.output
    with factory() as s:
        user = s.scalar(select(User).where(User.username == "reviewer"))
        assert user.role.value == "supervisor" and user.check_password("Night-Shift-2026")
        assert user.session_generation == 2  # role change, then password change: older sessions are void
        kinds = [e.kind for e in s.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]
    assert kinds == ["lockout", "lockout_lifted", "role_changed", "password_rejected", "password_changed"]
    engine.dispose()
