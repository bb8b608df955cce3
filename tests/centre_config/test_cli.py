"""`hotline line|queue|agent|menu|config …` with click's CliRunner on the real database (SQLite, PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from db.models import Agent, Line, LineMode, ScheduledChange
from ops.cli import main


@pytest.fixture
def hotline(config_db, tmp_path):
    env = {"DATABASE_URL": config_db, "HOTLINE_RUN_DIR": str(tmp_path / "run"),
           "HOTLINE_REDIS_PREFIX": "hltest-config-cli:"}

    def run(*args: str, ok: bool = True):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return run


def test_merge_a_legacy_number_from_the_cli_alone(hotline, factory):
    assert "12319      dual" in hotline("line", "list").output
    out = hotline("line", "set", "12319", "mode=merged", "notice_until=2027-03-31", "--by", "admin",
                  "--note", "12319 并入").output
    assert "mode: dual → merged" in out and "notice_until: - → 2027-03-31" in out
    with factory() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12319")) is LineMode.merged
    history = hotline("line", "history", "12319").output
    assert "v1" in history and "update" in history and "by admin" in history and "12319 并入" in history
    out = hotline("line", "restore", "12319", "--by", "admin").output
    assert "restored" in out and "mode: merged → dual" in out
    with factory() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12319")) is LineMode.dual


def test_a_wrong_field_is_an_error_per_field_and_nothing_is_saved(hotline, factory):
    result = hotline("line", "set", "12315", "mode=closed", "language=fr", ok=False)
    assert result.exit_code == 1
    assert "error: line 12315 not saved" in result.output
    assert "language: 'fr' is not one of zh, en" in result.output and "mode: 'closed'" in result.output
    assert "fix:" in result.output and "Traceback" not in result.output
    result = hotline("line", "set", "12315", "nonsense", ok=False)
    assert "is not FIELD=VALUE" in result.output


def test_staged_merge_is_shown_and_applied_when_due(hotline, factory):
    out = hotline("line", "set", "12328", "mode=merged", "notice_days=90", "--at", "2027-01-01",
                  "--by", "admin").output
    assert "staged change #" in out and "2026-12-31T16:00:00 UTC" in out    # 00:00 Beijing time
    show = hotline("line", "show", "12328").output
    assert "staged #" in show and "2027-03-31" in show                     # 90 days of notice, 1 Jan counted
    assert "#" in hotline("config", "staged").output
    assert "0 staged change(s) applied" in hotline("config", "apply-due").output
    from centre_config import staging
    with factory() as s:
        done = staging.apply_due(s, now=dt.datetime(2026, 12, 31, 16, 0, 1))
        s.commit()
        assert [(r.key, r.applied_version_id is not None) for r in done] == [("12328", True)]
        line = s.scalar(select(Line).where(Line.number == "12328"))
        assert line.mode is LineMode.merged and line.notice_until == dt.date(2027, 3, 31)
        assert staging.apply_due(s, now=dt.datetime(2027, 1, 2)) == []     # idempotent
    assert "scheduled" in hotline("line", "history", "12328").output
    hotline("line", "restore", "12328")


def test_a_staged_change_in_the_past_or_invalid_is_refused(hotline):
    result = hotline("line", "set", "12348", "mode=merged", "--at", "2020-01-01", ok=False)
    assert "due_at: must be in the future" in result.output
    result = hotline("line", "set", "12348", "mode=nope", "--at", "2030-01-01", ok=False)
    assert "mode:" in result.output


def test_queue_and_agent_with_a_secret_shown_once(hotline, factory):
    out = hotline("queue", "add", "elderly-cli", "display_name=适老化专席", "ring_timeout_seconds=20").output
    assert "queue elderly-cli created" in out
    out = hotline("agent", "add", "1077", "name=钱敏", "queues=elderly-cli:0,12345:1", "languages=zh").output
    with factory() as s:
        agent = s.scalar(select(Agent).where(Agent.number == "1077"))
        assert f"SIP password  {agent.sip_secret}" in out and "shown once" in out
        assert sorted(m.queue.name for m in agent.memberships) == ["12345", "elderly-cli"]
    assert agent.sip_secret not in hotline("agent", "history", "1077").output
    assert "members 1077" in hotline("queue", "list").output
    assert "retired" in hotline("agent", "remove", "1077").output
    assert "(retired)" in hotline("agent", "list").output
    out = hotline("agent", "new-secret", "1077").output
    with factory() as s:
        assert s.scalar(select(Agent.sip_secret).where(Agent.number == "1077")) in out


def test_menu_check_refuses_an_invalid_menu_and_set_saves_a_good_one(hotline, tmp_path):
    bad = tmp_path / "elderly.yaml"
    bad.write_text("prompt: menu-main\ndefault: repeat\noptions:\n  '1': agent\n", encoding="utf-8")
    result = hotline("menu", "check", str(bad), ok=False)
    assert "default is 'repeat': it must end the menu" in result.output
    result = hotline("menu", "set", "elderly", str(bad), ok=False)
    assert "not saved" in result.output
    good = tmp_path / "good.yaml"
    good.write_text("prompt: menu-main\noptions:\n  '1': agent\n", encoding="utf-8")
    assert "ok" in hotline("menu", "check", str(good)).output
    assert "saved (version 1)" in hotline("menu", "set", "elderly", str(good)).output
    assert "elderly" in hotline("menu", "list").output


def test_switch_and_holiday(hotline):
    hotline("switch", "add", "ivr_enabled", "enabled=off")
    assert "ivr_enabled  off" in hotline("switch", "list").output
    hotline("switch", "restore", "ivr_enabled")
    assert "ivr_enabled" not in hotline("switch", "list").output
    hotline("holiday", "add", "2027-01-01", "workday=no", "note=元旦")
    assert "2027-01-01  day off  元旦" in hotline("holiday", "list").output


def test_export_diff_import_round_trip(hotline, tmp_path, factory):
    folder = tmp_path / "centre"
    hotline("config", "export", str(folder))
    assert "no changes" in hotline("config", "diff", str(folder)).output
    lines = yaml.safe_load((folder / "lines.yaml").read_text(encoding="utf-8"))
    entry = next(e for e in lines if e["number"] == "12369")
    assert entry["mode"] == "dual" and entry["department"] == "sthjj"
    entry["mode"], entry["notice_until"] = "merged", dt.date(2027, 6, 30)
    lines.append({"number": "86019999", "name": "测试热线", "mode": "merged", "department": "city"})
    (folder / "lines.yaml").write_text(yaml.safe_dump(lines, allow_unicode=True), encoding="utf-8")
    out = hotline("config", "diff", str(folder)).output
    assert "update  line 12369" in out and "mode: dual → merged" in out and "create  line 86019999" in out
    with factory() as s:     # diff saved nothing
        assert s.scalar(select(Line.mode).where(Line.number == "12369")) is LineMode.dual
        assert s.scalar(select(Line).where(Line.number == "86019999")) is None
    hotline("config", "import", str(folder))
    with factory() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12369")) is LineMode.merged
    assert "no changes" in hotline("config", "diff", str(folder)).output
    # the seed reads the export too
    from db.seed import seed
    for name in ("departments.yaml", "topics.yaml"):
        (folder / name).write_text("[]\n")
    with factory() as s:
        counts = seed(s, folder)
        assert counts["lines"] == {"created": 0, "updated": 0} and counts["agents"]["updated"] == 0
        s.rollback()


def test_an_import_with_one_wrong_entry_saves_nothing(hotline, tmp_path, factory):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "lines.yaml").write_text(yaml.safe_dump([
        {"number": "12350", "mode": "merged"}, {"number": "12385", "mode": "bogus"}]), encoding="utf-8")
    result = hotline("config", "import", str(folder), ok=False)
    assert "line 12385: mode" in result.output
    with factory() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12350")) is LineMode.dual
        assert s.scalar(select(ScheduledChange).where(ScheduledChange.key == "12350")) is None
