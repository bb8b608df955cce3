"""`hotline load run`: its plan and options (fast; the run itself is tests/integration/test_load_smoke.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hotline.config import Settings
from hotline.errors import HotlineError
from ops.cli import main
from ops.load import report, scenarios
from ops.load.report import ProcessSampler
from ops.load.run import LoadPlan
from tests.support.waiting import wait_for


def test_day_curve_is_linear_between_points():
    plan = LoadPlan(curve=((0.0, 0.2), (0.5, 1.0), (1.0, 0.2)))
    assert plan.factor(0.0) == pytest.approx(0.2)
    assert plan.factor(0.25) == pytest.approx(0.6)
    assert plan.factor(0.5) == pytest.approx(1.0)
    assert plan.factor(1.0) == pytest.approx(0.2)
    assert LoadPlan().factor(0.7) == 1.0


@pytest.mark.parametrize("bad", [{"rate": 0}, {"rate": 500}, {"seconds": 0}, {"agents": 0},
                                 {"talk_s": (10, 5)}, {"wallboards": 3}])
def test_a_plan_out_of_range_is_a_clear_error(bad):
    with pytest.raises(HotlineError):
        LoadPlan(**bad)


@pytest.mark.parametrize("args", [["--talk", "long"], ["--ring", "5-1"], ["--curve", "0:x"], ["--curve", "2:1"]])
def test_bad_options_are_refused_with_usage(args):
    done = CliRunner().invoke(main, ["load", "run", *args])
    assert done.exit_code == 2 and "Invalid value" in done.output


def test_a_run_without_the_load_trunk_says_how_to_turn_it_on(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_LOAD_TRUNK_PORT", raising=False)
    done = CliRunner().invoke(main, ["load", "run", "--seconds", "5"])
    assert done.exit_code == 1 and "HOTLINE_LOAD_TRUNK_PORT" in done.output


def test_the_load_trunk_setting_round_trips_and_is_off_by_default(tmp_path):
    assert Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)}).load_trunk_port == 0
    on = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_LOAD_TRUNK_PORT": "5080",
                            "HOTLINE_AGI_TIMING": "1"})
    again = Settings.from_env(on.to_env())
    assert (again.load_trunk_port, again.agi_timing) == (5080, True)


def test_scenarios_are_filled_completely(tmp_path):
    with pytest.raises(HotlineError):
        scenarios.fill("agent_uas.xml", tmp_path, {})
    out = scenarios.fill("agent_uas.xml", tmp_path, {"ring_min_ms": 1, "ring_max_ms": 2, "talk_min_ms": 3,
                                                     "talk_max_ms": 4, "voice_pcap": "/x.pcap", "voice_ms": 7000})
    assert 'max="4"' in out.read_text()
    assert 'assign_to="voice_left" value="7000"' in out.read_text()    # speech again every 7 s (rtp_timeout)


def test_percentile_and_agi_log_parsing(tmp_path):
    import datetime as dt

    assert report.percentile([], 99) is None
    assert report.percentile([1, 2, 3, 4], 50) in (2, 3)
    log = tmp_path / "agi.log"
    log.write_text("2026-12-01 10:00:00,001 INFO agi.server: AGI timing inbound 4.50 ms\n"
                   "2026-12-01 10:00:01,001 INFO agi.server: AGI timing hangup 1.25 ms\n"
                   "2026-12-01 10:00:02,001 INFO agi.server: AGI timing rating 19580.00 ms\n"
                   "2026-12-01 09:00:00,001 INFO agi.server: AGI timing inbound 99.00 ms\n")
    times = report.agi_times(log, dt.datetime(2026, 12, 1, 9, 30))
    assert times["runs"] == 3 and set(times["by_script"]) == {"inbound", "hangup", "rating"}
    # the rating waits for the caller's key after the agent hung up: the caller's time, not a decision
    assert times["decisions"] == 2 and times["max_ms"] == 4.5 and times["left_out"] == ["rating"]
    assert "asterisk_p99_ms" not in times           # lines written before the split: no split reported


def test_a_decisions_time_is_split_into_asterisks_replies_and_ours(tmp_path):
    import datetime as dt

    log = tmp_path / "agi.log"
    log.write_text("2026-12-01 10:00:00,001 INFO agi.server: AGI timing inbound 40.00 ms (Asterisk's replies 30.00 ms)\n"
                   "2026-12-01 10:00:01,001 INFO agi.server: AGI timing hangup 5.00 ms (Asterisk's replies 1.00 ms)\n"
                   "2026-12-01 10:00:02,001 INFO agi.server: AGI timing rating 19580.00 ms (Asterisk's replies 19579.00 ms)\n")
    times = report.agi_times(log, dt.datetime(2026, 12, 1, 9, 30))
    assert times["decisions"] == 2 and times["p99_ms"] == 40.0
    assert times["asterisk_p99_ms"] == 30.0 and times["ours_p99_ms"] == 10.0     # the rating is left out
    assert "database_p99_ms" not in times           # lines without the database part


def test_the_database_part_of_a_decision_is_reported(tmp_path):
    import datetime as dt

    log = tmp_path / "agi.log"
    log.write_text("2026-12-01 10:00:00,001 INFO agi.server: AGI timing inbound 40.00 ms "
                   "(Asterisk's replies 30.00 ms, database 8.00 ms)\n")
    times = report.agi_times(log, dt.datetime(2026, 12, 1, 9, 30))
    assert (times["ours_p99_ms"], times["database_p99_ms"]) == (10.0, 8.0)


def test_the_slowest_decisions_time_is_told_apart(tmp_path):
    """The tail: the slowest 1 % of the decisions, their time on a core, waiting for one, and asleep."""
    import datetime as dt

    log = tmp_path / "agi.log"
    fast = ("2026-12-01 10:00:00,001 INFO agi.server: AGI timing inbound 5.00 ms (Asterisk's replies 1.00 ms, "
            "database 1.00 ms, on a core 2.00 ms, waiting for a core 1.00 ms)\n")
    slow = ("2026-12-01 10:00:01,001 INFO agi.server: AGI timing hangup 500.00 ms (Asterisk's replies 10.00 ms, "
            "database 40.00 ms, on a core 5.00 ms, waiting for a core 100.00 ms)\n")
    log.write_text(fast * 199 + slow)
    times = report.agi_times(log, dt.datetime(2026, 12, 1, 9, 30))
    assert times["decisions"] == 200 and times["run_queue_p99_ms"] == 1.0 and times["on_core_p50_ms"] == 2.0
    assert times["tail"] == {"decisions": 2, "wall_ms": 505.0, "asterisk_ms": 11.0, "database_ms": 41.0,
                             "on_core_ms": 7.0, "run_queue_ms": 101.0, "asleep_ms": 397.0,
                             "asleep_elsewhere_ms": 345.0}


@pytest.mark.parametrize("port", ["", "5080"])
def test_the_load_trunk_is_rendered_only_when_set(tmp_path, port):
    from ops.asterisk import render
    from ops.asterisk.binary import AsteriskBinary

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_LOAD_TRUNK_PORT": port})
    pbx, _ = render.instances(settings, AsteriskBinary(root=None))
    pbx.render(render.pbx_context(settings, [], [], []))
    text = (pbx.etc_dir / "pjsip.conf").read_text()
    assert "permit = 127.0.0.1\n" in (pbx.etc_dir / "acl.conf").read_text().split("[loadtrunk]")[1]
    if not port:
        assert "[load-trunk]" not in text
        return
    trunk = text.split("; --- load-generator trunk")[1].split("\n; ---")[0]
    assert "match = 127.0.0.1:5080" in trunk and "context = from-carrier" in trunk and "acl = loadtrunk" in trunk
    assert "trust_id_inbound" not in trunk                 # a load caller's ID is not believed


def test_the_sampler_counts_children_except_for_a_process_sampled_alone():
    """The load generator's own CPU is its own: its children are the sipps, which have rows of their own."""
    burner = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 8\nwhile time.time() < end: pass"])
    try:
        sampler = ProcessSampler({"with-children": os.getpid(), "alone": os.getpid()}, every=0.5,
                                 alone=frozenset({"alone"})).start()
        wait_for(lambda: len(sampler.samples["alone"]) >= 6, 10, "six samples")
        rows = sampler.stop()
    finally:
        burner.kill()
        burner.wait()
    assert rows["with-children"]["cpu_max_pct"] > 50           # the busy child counted in
    assert rows["alone"]["cpu_max_pct"] < 30                   # this test process waits: its own CPU only


def test_the_local_postgresql_server_is_found_for_the_report():
    """The suite's PostgreSQL runs here: its main process is found (its backends are its children)."""
    import psutil

    pid = report.postmaster_pid()
    assert pid is not None
    main_process = psutil.Process(pid)
    assert main_process.name() in ("postgres", "postmaster")
    assert main_process.parent() is None or main_process.parent().name() not in ("postgres", "postmaster")


def test_redis_keys_are_counted_by_shape_so_a_growth_says_which_keys_grew():
    assert report.key_shape("hl:stats:2026-12-02:agent:9001", "hl:") == "stats:#-#-#:agent:#"
    assert report.key_shape("hl:ami:reply:1796220001.408", "hl:") == "ami:reply:#"

    class FakeRedis:                  # the counter's one call: SCAN with the installation's prefix
        def __init__(self):
            self.keys = ["hl:queues", "hl:agent:1"]

        def scan_iter(self, match, count):
            assert match == "hl:*"
            return iter(k.encode() for k in self.keys)

    fake = FakeRedis()
    counter = report.RedisKeyCounter(fake, "hl:", every=0.01)
    for n in range(2, 40):            # the samples the thread would take, taken here one by one
        fake.keys.append(f"hl:agent:{n}")
        counter.samples.append(sum((shapes := counter._sample()).values()))
        counter.shapes.append(shapes)
    out = counter.stop()              # the thread never started: stop() only summarises
    assert out["last"] == 40 and out["keys_growth_by_shape"] == {"agent:#": 39 - 5}
