"""Settings of one hotline installation, read from the environment.

Everything a running installation writes (database, logs, pid files, Asterisk
configuration, recordings, generated secrets) lives under one run folder,
``HOTLINE_RUN_DIR`` (default: ``var/`` in the checkout).  Ports can be moved as
a block with ``HOTLINE_PORT_OFFSET`` so a test installation runs beside a live one.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_DIR = Path(__file__).resolve().parent.parent
ASTERISK_CONF_DIR = PROJECT_DIR / "asterisk_conf"


@dataclass(frozen=True)
class Ports:
    """Every port the installation listens on; all bound to 127.0.0.1 except SIP/RTP."""

    sip: int = 5060            # the hotline PBX: carrier trunk and agents' softphones
    ami: int = 5038            # hotline PBX manager interface (loopback only)
    agi: int = 4573            # FastAGI server
    web: int = 8000            # Flask panel
    carrier_sip: int = 5070    # the simulated carrier / softphone box
    carrier_ami: int = 5039
    carrier_phones: int = 5071  # the simulated softphones' own SIP port (not the carrier trunk's address)
    rtp_start: int = 10000     # PBX media ports [rtp_start, rtp_start+999]
    carrier_rtp_start: int = 11000
    demo_department: int = 3790  # demo department system (selfservice/demo_department.py); below 4000 so no offset
                                 # of a few thousand puts it inside another installation's RTP range

    def shifted(self, offset: int) -> "Ports":
        return Ports(**{k: v + offset for k, v in self.__dict__.items()})


@dataclass(frozen=True)
class Settings:
    run_dir: Path
    database_url: str
    redis_url: str
    redis_prefix: str
    port_offset: int = 0
    bind_host: str = "127.0.0.1"        # web, FastAGI, AMI: loopback unless said otherwise
    sip_bind: str = "127.0.0.1"         # set HOTLINE_SIP_BIND=0.0.0.0 for softphones on the LAN
    carrier_host: str = "127.0.0.1"     # where the carrier trunk comes from
    softphones: str = "all"             # simulated agent softphones: all, none, or "1001,1002"
    softphone_network: str = ""         # where agents' phones may register from; "" = loopback / SIP bind's /24
    sip_block_after: int = 5            # SIP authentication failures from one address ...
    sip_block_window: int = 300         # ... within this many seconds block it (a dynamic ACL) ...
    sip_block_seconds: int = 3600       # ... for this long
    timezone: str = "Asia/Shanghai"     # the centre's local time: business hours, notices, reports
    asterisk_root: Path | None = None   # a sandbox root to chroot into; None = asterisk on PATH / auto
    web_https: bool = False             # the panel is served over HTTPS (a proxy in front): Secure cookie + HSTS
    web_proxies: int = 0                # reverse proxies in front of the panel whose X-Forwarded-* to trust
    retention_recording_days: int = 180  # recordings (录音) are deleted after this many days; 0 = kept
    retention_call_days: int = 730       # call records (来电记录) are deleted after this many days; 0 = kept
    rating_share: int = 100              # 一次一评: percent of answered calls asked for a rating
    outbound_caller_id: str = "12345"    # the number citizens see when the centre calls them
    dialer_concurrency: int = 4          # outbound calls at once (外呼并发)
    dialer_pacing_ms: int = 500          # at least this long between two originates
    callback_window: str = "08:00-21:00"  # centre time in which callbacks are dialed (回拨时段)
    callback_min_abandon_s: int = 5      # shorter abandons (misdials) get no callback
    voicemail_max_s: int = 120           # 留言: the longest message (Record() maxduration)
    voicemail_min_s: int = 2             # a shorter message is dropped (logged, counted on the call)
    voicemail_silence_s: int = 5         # Record() ends after this much silence
    voicemail_silent_below_db: int = -50  # a message whose RMS level stays under this (dBFS) is silent: dropped
    voicemail_no_agent_wait_s: int = 30  # no agent logged in to the queue: voicemail offered after this wait
    voicemail_topic: str = "other-policy"  # the topic a voicemail ticket gets until an agent who listened changes it
    virtual_hold_offer_s: int = 60       # 回拨 (virtual hold): offered when the expected wait is longer; 0 = never
    virtual_hold_ring_s: int = 30        # how long the citizen's phone rings when the placeholder reaches an agent
    load_trunk_port: int = 0             # `hotline load`: a second trunk for the load generator's callers
                                         # from 127.0.0.1 this port (same context as the carrier); 0 = off
    agi_timing: bool = False             # the FastAGI server logs each handler's time ("AGI timing")
    agi_realtime_priority: int = 1       # the FastAGI server's SCHED_RR priority (ops/cpu_class.py); 0 = normal class

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        run_dir = Path(env.get("HOTLINE_RUN_DIR") or PROJECT_DIR / "var").resolve()
        offset = int(env.get("HOTLINE_PORT_OFFSET") or 0)
        root = env.get("HOTLINE_ASTERISK_ROOT")
        return cls(
            run_dir=run_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{run_dir / 'hotline.db'}",
            redis_url=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            redis_prefix=env.get("HOTLINE_REDIS_PREFIX") or "hotline:",
            port_offset=offset,
            bind_host=env.get("HOTLINE_BIND_HOST") or "127.0.0.1",
            sip_bind=env.get("HOTLINE_SIP_BIND") or "127.0.0.1",
            carrier_host=env.get("HOTLINE_CARRIER_HOST") or "127.0.0.1",
            softphones=env.get("HOTLINE_SOFTPHONES") or "all",
            softphone_network=env.get("HOTLINE_SOFTPHONE_NETWORK") or "",
            sip_block_after=_positive(env, "HOTLINE_SIP_BLOCK_AFTER", 5),
            sip_block_window=_positive(env, "HOTLINE_SIP_BLOCK_WINDOW", 300),
            sip_block_seconds=_positive(env, "HOTLINE_SIP_BLOCK_SECONDS", 3600),
            timezone=env.get("HOTLINE_TIMEZONE") or "Asia/Shanghai",
            asterisk_root=Path(root) if root else None,
            web_https=_flag(env, "HOTLINE_WEB_HTTPS"),
            web_proxies=_count(env, "HOTLINE_WEB_PROXIES", 0),
            retention_recording_days=_count(env, "HOTLINE_RETENTION_RECORDING_DAYS", 180),
            retention_call_days=_count(env, "HOTLINE_RETENTION_CALL_DAYS", 730),
            rating_share=_count(env, "HOTLINE_RATING_SHARE", 100),
            outbound_caller_id=env.get("HOTLINE_OUTBOUND_CALLER_ID") or "12345",
            dialer_concurrency=_count(env, "HOTLINE_DIALER_CONCURRENCY", 4),
            dialer_pacing_ms=_count(env, "HOTLINE_DIALER_PACING_MS", 500),
            callback_window=env.get("HOTLINE_CALLBACK_WINDOW") or "08:00-21:00",
            callback_min_abandon_s=_count(env, "HOTLINE_CALLBACK_MIN_ABANDON_S", 5),
            voicemail_max_s=_positive(env, "HOTLINE_VOICEMAIL_MAX_S", 120),
            voicemail_min_s=_count(env, "HOTLINE_VOICEMAIL_MIN_S", 2),
            voicemail_silence_s=_positive(env, "HOTLINE_VOICEMAIL_SILENCE_S", 5),
            voicemail_silent_below_db=_decibels(env, "HOTLINE_VOICEMAIL_SILENT_BELOW_DB", -50),
            voicemail_no_agent_wait_s=_count(env, "HOTLINE_VOICEMAIL_NO_AGENT_WAIT_S", 30),
            voicemail_topic=env.get("HOTLINE_VOICEMAIL_TOPIC") or "other-policy",
            virtual_hold_offer_s=_count(env, "HOTLINE_VIRTUAL_HOLD_OFFER_S", 60),
            virtual_hold_ring_s=_positive(env, "HOTLINE_VIRTUAL_HOLD_RING_S", 30),
            load_trunk_port=_count(env, "HOTLINE_LOAD_TRUNK_PORT", 0),
            agi_timing=_flag(env, "HOTLINE_AGI_TIMING"),
            agi_realtime_priority=_count(env, "HOTLINE_AGI_REALTIME_PRIORITY", 1),
        )

    @property
    def ports(self) -> Ports:
        return Ports().shifted(self.port_offset)

    def to_env(self) -> dict[str, str]:
        """Environment variables that give a child process these exact settings."""
        env = {
            "HOTLINE_RUN_DIR": str(self.run_dir), "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url, "HOTLINE_REDIS_PREFIX": self.redis_prefix,
            "HOTLINE_PORT_OFFSET": str(self.port_offset), "HOTLINE_BIND_HOST": self.bind_host,
            "HOTLINE_SIP_BIND": self.sip_bind, "HOTLINE_CARRIER_HOST": self.carrier_host,
            "HOTLINE_SOFTPHONES": self.softphones, "HOTLINE_TIMEZONE": self.timezone,
            "HOTLINE_WEB_HTTPS": "1" if self.web_https else "0",
            "HOTLINE_WEB_PROXIES": str(self.web_proxies),
            "HOTLINE_RETENTION_RECORDING_DAYS": str(self.retention_recording_days),
            "HOTLINE_RETENTION_CALL_DAYS": str(self.retention_call_days),
            "HOTLINE_RATING_SHARE": str(self.rating_share),
            "HOTLINE_OUTBOUND_CALLER_ID": self.outbound_caller_id,
            "HOTLINE_DIALER_CONCURRENCY": str(self.dialer_concurrency),
            "HOTLINE_DIALER_PACING_MS": str(self.dialer_pacing_ms),
            "HOTLINE_CALLBACK_WINDOW": self.callback_window,
            "HOTLINE_CALLBACK_MIN_ABANDON_S": str(self.callback_min_abandon_s),
            "HOTLINE_VOICEMAIL_MAX_S": str(self.voicemail_max_s),
            "HOTLINE_VOICEMAIL_MIN_S": str(self.voicemail_min_s),
            "HOTLINE_VOICEMAIL_SILENCE_S": str(self.voicemail_silence_s),
            "HOTLINE_VOICEMAIL_SILENT_BELOW_DB": str(self.voicemail_silent_below_db),
            "HOTLINE_VOICEMAIL_NO_AGENT_WAIT_S": str(self.voicemail_no_agent_wait_s),
            "HOTLINE_VOICEMAIL_TOPIC": self.voicemail_topic,
            "HOTLINE_SOFTPHONE_NETWORK": self.softphone_network,
            "HOTLINE_SIP_BLOCK_AFTER": str(self.sip_block_after),
            "HOTLINE_SIP_BLOCK_WINDOW": str(self.sip_block_window),
            "HOTLINE_SIP_BLOCK_SECONDS": str(self.sip_block_seconds),
            "HOTLINE_VIRTUAL_HOLD_OFFER_S": str(self.virtual_hold_offer_s),
            "HOTLINE_VIRTUAL_HOLD_RING_S": str(self.virtual_hold_ring_s),
            "HOTLINE_LOAD_TRUNK_PORT": str(self.load_trunk_port),
            "HOTLINE_AGI_TIMING": "1" if self.agi_timing else "0",
            "HOTLINE_AGI_REALTIME_PRIORITY": str(self.agi_realtime_priority),
        }
        if self.asterisk_root is not None:
            env["HOTLINE_ASTERISK_ROOT"] = str(self.asterisk_root)
        return env

    def local_now(self):
        """The centre's wall-clock time, naive (as business hours and notice dates are written)."""
        return dt.datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    # --- folders -------------------------------------------------------
    @property
    def log_dir(self) -> Path:
        return self.run_dir / "log"

    @property
    def pid_dir(self) -> Path:
        return self.run_dir / "pid"

    @property
    def recordings_dir(self) -> Path:
        return self.run_dir / "recordings"

    @property
    def prompts_dir(self) -> Path:
        return self.run_dir / "prompts"

    @property
    def moh_dir(self) -> Path:
        return self.run_dir / "moh"

    def ensure_dirs(self) -> None:
        for d in (self.run_dir, self.log_dir, self.pid_dir, self.recordings_dir, self.prompts_dir,
                  self.moh_dir):
            d.mkdir(parents=True, exist_ok=True)

    # --- generated credentials -------------------------------------------
    @cached_property
    def secrets(self) -> "Secrets":
        return Secrets.load_or_create(self.run_dir / "secrets.json")

    def ami_login(self, user: str) -> tuple[str, str]:
        """(username, secret) of one service's own AMI user (see AMI_USERS)."""
        if user not in AMI_USERS:
            raise KeyError(f"no AMI user {user!r}; known: {', '.join(AMI_USERS)}")
        return AMI_USERS[user].username, self.secrets[AMI_USERS[user].secret_name]

    @property
    def softphone_acl(self) -> str:
        """The network agents' and supervisors' phones may use (PJSIP endpoint ACL)."""
        if self.softphone_network:
            return self.softphone_network
        if self.sip_bind in ("0.0.0.0", "::") or self.sip_bind.startswith("127."):
            return "127.0.0.0/8"
        return f"{self.sip_bind}/24"

    @property
    def agi_url(self) -> str:
        return f"agi://127.0.0.1:{self.ports.agi}"


def _flag(env: dict[str, str], name: str) -> bool:
    value = (env.get(name) or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        from hotline.errors import HotlineError

        raise HotlineError(f"{name}={env.get(name)!r} is not a yes/no setting", f"set {name}=1 or {name}=0")
    return value in ("1", "true", "yes", "on")


def _count(env: dict[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        from hotline.errors import HotlineError

        raise HotlineError(f"{name}={raw!r} is not a whole number", f"set {name} to a whole number, e.g. {default}")
    return int(raw)


@lru_cache(maxsize=1)
def current_settings() -> Settings:
    """The settings of this process (long-running services read them once)."""
    return Settings.from_env()


def _decibels(env: dict[str, str], name: str, default: int) -> int:
    """A level in dBFS: a whole number at or below 0 (-50, or 50 read as -50)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        from hotline.errors import HotlineError

        raise HotlineError(f"{name}={raw!r} is not a level in dBFS", f"set {name} to e.g. {default}") from None
    return -abs(value)


def _positive(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        from hotline.errors import HotlineError

        raise HotlineError(f"{name}={raw!r} is not a positive whole number", f"unset {name} or give e.g. {default}")
    return value


@dataclass(frozen=True)
class AmiUser:
    """One service's own AMI login (最小权限): only the classes that service needs."""

    username: str
    instance: str          # "pbx" or "carrier"
    read: str              # AMI read classes ("" = none: action replies still come)
    write: str             # AMI write classes
    eventfilter: tuple[str, ...] = ()   # Asterisk 22 filters: only these events reach the session
    purpose: str = ""

    @property
    def secret_name(self) -> str:
        return f"ami_{self.instance}_{self.username}"


# The events the AMI listener turns into live state (queue_logic.model, queue_logic.resync).
LISTENER_EVENTS = (
    "FullyBooted", "Newchannel", "Hangup",
    "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
    "AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "AgentDump",
    "QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause", "QueueMemberPaused", "QueueMemberRemoved",
    "QueueParams", "QueueMember", "QueueEntry", "QueueStatusComplete",
)
# The events the outbound dialer reads: each attempt's answer and its channel's hangup cause.
DIALER_EVENTS = ("OriginateResponse", "Hangup")
SECURITY_EVENTS = ("InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword", "FailedACL")

AMI_USERS: dict[str, AmiUser] = {u.username: u for u in (
    AmiUser("listener", "pbx", read="system,call,agent", write="call,agent,originate",
            eventfilter=LISTENER_EVENTS, purpose="AMI listener: live state, agent commands, listen/whisper"),
    AmiUser("reconcile", "pbx", read="", write="system",
            purpose="rq worker: DBGetTree/DBDel of calls parked while Python was away"),
    AmiUser("sipguard", "pbx", read="security", write="system", eventfilter=SECURITY_EVENTS,
            purpose="SIP guard: security events → blocklist, reload of res_pjsip"),
    AmiUser("cli", "pbx", read="system,call,agent,user,dialplan,reporting", write="system,call,agent,user,originate,"
            "command,reporting", purpose="the hotline CLI, benchmarks and the test harness"),
    AmiUser("dialer", "pbx", read="call,agent", write="originate", eventfilter=DIALER_EVENTS,
            purpose="rq worker: the outbound dialer of callbacks (callbacks/dialer.py): Originate, its outcome"),
    AmiUser("simulator", "carrier", read="call,user", write="originate",
            purpose="citizen call simulator (`hotline call`) on the carrier instance"),
    AmiUser("carriercli", "carrier", read="system,call,agent,user,dialplan", write="system,call,originate,command",
            purpose="the test harness on the carrier instance"),
)}


class Secrets(dict):
    """Credentials generated on first use and kept (mode 0600) in the run folder, never in the repo."""

    NAMES = ("carrier_trunk_secret", "web_secret_key", *(u.secret_name for u in AMI_USERS.values()))

    @classmethod
    def load_or_create(cls, path: Path) -> "Secrets":
        data = json.loads(path.read_text()) if path.exists() else {}
        missing = [n for n in cls.NAMES if n not in data]
        if missing:
            for name in missing:
                data[name] = secrets.token_urlsafe(18)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2))
            tmp.chmod(0o600)
            tmp.replace(path)
        return cls(data)
