"""One load run (`hotline load run`): agents, screens and callers against a running hotline.

Order: load agents created and logged in; their softphones registered (sipp) and answering
(one sipp UAS for all); process sampling and screens started; callers offered at the planned
rate for the planned time; then everything stops by itself (sipp time and call limits, thread
deadlines) and the report is put together. Traffic goes to 127.0.0.1 only.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hotline.config import Settings
from hotline.errors import HotlineError
from ops.load import agents as load_agents
from ops.load import report, scenarios, screens, sipp

ACCEPT = 0.25        # Bernoulli thinning of sipp's call grid: arrivals are Poisson at the planned rate


@dataclass
class LoadPlan:
    rate: float = 1.0                 # calls per second offered (mean)
    seconds: float = 60.0             # how long calls are offered
    agents: int = 100
    queue: str = "12345"
    service: str = "12345"            # the number the citizens dial
    digit: str = "1"                  # pressed in the menu (1 = 人工服务)
    patience_mean_s: float = 60.0     # exponential patience on top of patience_min_s
    patience_min_s: float = 10.0
    patience_max_s: float = 0.0       # 0: min + 6 × mean
    ring_s: tuple[float, float] = (1.0, 4.0)
    talk_s: tuple[float, float] = (30.0, 240.0)
    curve: tuple[tuple[float, float], ...] = ()    # (fraction of the run, rate factor), a compressed day
    wallboards: int = 0
    agent_screens: int = 0
    web_url: str = ""
    supervisor_login: tuple[str, str] = ("", "")
    agent_login: tuple[str, str] = ("", "")

    def __post_init__(self):
        if not 0 < self.rate <= 50:
            raise HotlineError(f"rate {self.rate}/s is out of range", "offer between 0.01 and 50 calls per second")
        if not 1 <= self.seconds <= 1800:
            raise HotlineError(f"{self.seconds} s is out of range", "run between 1 s and 30 minutes")
        if not 1 <= self.agents <= 500:
            raise HotlineError(f"{self.agents} agents is out of range", "simulate 1 to 500 agents")
        if self.talk_s[0] > self.talk_s[1] or self.ring_s[0] > self.ring_s[1]:
            raise HotlineError("a range's minimum is above its maximum", "give ranges as MIN-MAX")
        if self.patience_max_s and self.patience_max_s < self.patience_min_s:
            raise HotlineError("--patience-max is below --patience-min", "give a larger --patience-max (or 0)")
        if (self.wallboards or self.agent_screens) and not self.web_url:
            raise HotlineError("screens need the panel's address", "pass --web http://127.0.0.1:PORT")

    @property
    def patience_cap_s(self) -> float:
        return self.patience_max_s or self.patience_min_s + 6 * self.patience_mean_s

    def factor(self, fraction: float) -> float:
        """The day curve's rate factor at ``fraction`` of the run (linear between points)."""
        if not self.curve:
            return 1.0
        points = sorted(self.curve)
        if fraction <= points[0][0]:
            return points[0][1]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            if fraction <= x1:
                return y0 + (y1 - y0) * (fraction - x0) / max(x1 - x0, 1e-9)
        return points[-1][1]


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _pids(settings: Settings, *runs: sipp.SippRun) -> dict[str, int]:
    from ops import services
    from ops.asterisk import binary, render

    pids = {}
    pbx, carrier = render.instances(settings, binary.locate(settings.asterisk_root))
    for inst, name in ((pbx, "asterisk-pbx"), (carrier, "asterisk-carrier")):
        if inst.pid():
            pids[name] = inst.pid()
    for name in ("agi", "ami", "web", "worker"):
        pid = services.pid_of(settings, name)
        if pid:
            pids[name] = pid
    for run in runs:
        pids[f"sipp-{run.name}"] = run.process.pid
    pids["load-screens"] = os.getpid()   # this process: the screens' asyncio loop, the probes and the sampler
    if settings.database_url.startswith("postgresql"):
        postmaster = report.postmaster_pid()
        if postmaster:
            pids["postgresql"] = postmaster  # the server with its backends: on this node, its CPU is the node's
    return pids


def _pbx(settings: Settings):
    from ops.asterisk import binary, render

    return render.instances(settings, binary.locate(settings.asterisk_root))[0]


def _follow_curve(plan: LoadPlan, callers: sipp.SippRun, started: float) -> None:
    while callers.process.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed >= plan.seconds:
            return
        callers.command(f"cset rate {plan.rate * plan.factor(elapsed / plan.seconds) / ACCEPT:.3f}")
        time.sleep(1.0)


def run(settings: Settings, plan: LoadPlan, work: Path, echo=print) -> dict:
    if not settings.load_trunk_port:
        raise HotlineError("the load trunk is off",
                           "set HOTLINE_LOAD_TRUNK_PORT (e.g. 5080) and run `hotline asterisk up` again")
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*"):
        if old.is_file():
            old.unlink()
    base = settings.load_trunk_port
    agent_port, caller_media, agent_media, control = base + 1, base + 10, base + 20, base + 30
    pbx = f"127.0.0.1:{settings.ports.sip}"
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    since_local = dt.datetime.now()
    caller_prefix = time.strftime("%H%M")     # 139HHMM<n>: this run's callers in the call records

    echo(f"load: {plan.agents} agents in queue {plan.queue}")
    agents = load_agents.ensure_agents(settings, plan.agents, plan.queue)
    load_agents.apply_and_login(settings, agents)
    inf = load_agents.injection_file(agents, work / "agents.csv")
    register = sipp.start("register", scenarios.fill("agent_register.xml", work, {}), work, pbx=pbx,
                          local_port=agent_port, media_port=agent_media, time_limit=60,
                          extra=["-inf", str(inf), "-m", str(len(agents)), "-r", "50"])
    if register.wait(75) != 0:
        raise HotlineError(f"agents' softphones did not all register:\n{register.errors()[-2000:]}",
                           "check `pjsip show endpoints` and the softphone ACL (HOTLINE_SOFTPHONE_NETWORK)")
    tail = plan.talk_s[1] + plan.ring_s[1] + plan.patience_cap_s + 30
    uas = sipp.start("agents", scenarios.fill("agent_uas.xml", work, {
        "ring_min_ms": _ms(plan.ring_s[0]), "ring_max_ms": _ms(plan.ring_s[1]),
        "talk_min_ms": _ms(plan.talk_s[0]), "talk_max_ms": _ms(plan.talk_s[1]),
        "voice_pcap": scenarios.VOICE_PCAP, "voice_ms": scenarios.VOICE_MS}), work, pbx=pbx, local_port=agent_port, media_port=agent_media,
        time_limit=plan.seconds + tail + 30, extra=[])
    offered_grid = math.ceil(plan.rate * plan.seconds / ACCEPT)
    caller_file = scenarios.fill("caller_uac.xml", work, {
        "accept": ACCEPT, "patience_ms": _ms(plan.patience_mean_s), "patience_min_ms": _ms(plan.patience_min_s),
        "patience_max_ms": _ms(plan.patience_cap_s),
        "caller_prefix": caller_prefix, "voice_pcap": scenarios.VOICE_PCAP, "voice_ms": scenarios.VOICE_MS,
        "dtmf_pcap": scenarios.dtmf_pcap(plan.digit), "dtmf_after_ms": 3000, "digit": plan.digit})
    stats = None
    try:
        if plan.wallboards or plan.agent_screens:
            from hotline.keys import Keys
            from hotline.redis_conn import redis_client

            host_port = plan.web_url.split("//", 1)[-1]
            host, port = host_port.split(":")[0], int(host_port.split(":")[1].rstrip("/"))
            cookies = {"supervisor": screens.login(host, port, *plan.supervisor_login),
                       "agent": screens.login(host, port, *plan.agent_login)}
            stats, _threads = screens.open_screens(plan.web_url, plan.wallboards, plan.agent_screens, cookies,
                                                   plan.seconds + plan.talk_s[1] / 2, redis_client(settings),
                                                   Keys(settings.redis_prefix).live_channel)
        echo(f"load: offering {plan.rate}/s for {plan.seconds:.0f} s (Poisson{', day curve' if plan.curve else ''})")
        started = time.monotonic()
        callers = sipp.start("callers", caller_file, work, pbx=pbx, local_port=base, media_port=caller_media,
                             time_limit=plan.seconds + tail, control_port=control,
                             extra=["-s", plan.service, "-r", f"{plan.rate * plan.factor(0) / ACCEPT:.3f}",
                                    "-rp", "1000", "-m", str(offered_grid), "-l", "2000"])
        sampler = report.ProcessSampler(_pids(settings, callers, uas), alone=frozenset({"load-screens"})).start()
        counter = report.CallCounter(_pbx(settings)).start()
        redis_keys = report.RedisKeyCounter(_redis(settings), settings.redis_prefix).start()
        if plan.curve:
            threading.Thread(target=_follow_curve, args=(plan, callers, started), daemon=True).start()
        callers_rc = callers.wait(plan.seconds + tail + 15)
        elapsed = time.monotonic() - started
        processes = sampler.stop()
        at_once = counter.stop()
        keys = redis_keys.stop()
    finally:
        uas.stop()
    outcomes = report.sipp_outcomes(callers.log_lines())
    if not outcomes.get("offered"):
        out = (work / "callers.out").read_text(errors="replace")[-1500:]
        raise HotlineError(f"the callers' sipp stopped (exit {callers_rc}) after offering "
                           f"{outcomes.get('offered', 0)} calls:\n{out}", f"see {work}/callers.*")
    records = _settled_records(settings, f"139{caller_prefix}%", since)
    recordings = report.check_recordings(records.pop("recording_files"))
    result = {
        "plan": {k: v for k, v in asdict(plan).items() if k not in ("supervisor_login", "agent_login")},
        "machine": report.machine_load(), "elapsed_s": round(elapsed, 1),
        "calls": {"offered": outcomes.get("offered", 0), "connected": outcomes.get("connected", 0),
                  "setups_failed": outcomes.get("offered", 0) - outcomes.get("connected", 0),
                  "caller_hung_up": outcomes.get("abandoned", 0),
                  "ended_by_hotline": outcomes.get("ended by the hotline", 0),
                  "sipp_exit": callers_rc,   # 0: every call passed, 1: some failed, -9: killed at the bound
                  "sipp_errors": len(callers.errors().split("Aborting")) - 1 if callers.errors() else 0},
        "pbx_at_once": at_once,
        "records": records,
        "records_missing": outcomes.get("connected", 0) - records["records"],
        "agi": report.agi_times(settings.log_dir / "agi.log", since_local),
        "streams": None if stats is None else {
            "screens": stats.screens, "opened": stats.opened, "failed": stats.failed,
            "down_share": stats.down_share, "errors": stats.errors[:5],
            "lag_p50_s": report.percentile(stats.lags, 50), "lag_p99_s": report.percentile(stats.lags, 99),
            "lag_samples": len(stats.lags)},
        "processes": processes,
        "redis_keys": keys,
        "recordings": recordings,
    }
    return result


def _redis(settings: Settings):
    from hotline.redis_conn import redis_client

    return redis_client(settings)


def _settled_records(settings: Settings, caller_like: str, since: dt.datetime, timeout: float = 30.0) -> dict:
    """The run's call records once none is still open (the hangup AGI may trail the BYE)."""
    deadline = time.monotonic() + timeout
    while True:
        records = report.call_records(settings, caller_like, since)
        if not records["outcomes"].get("open") or time.monotonic() > deadline:
            return records
        time.sleep(0.5)
