"""Every Redis key name of the hotline, built in one place (one prefix per installation).

Live state (实时状态) written only by the AMI listener:
  queues                     set of queue names
  queue:<name>               hash: queue parameters + waiting, members, synced_at
  queue:<name>:callers       hash: caller uniqueid → JSON (join time, position, caller, line)
  agents                     set of agent numbers (工号) the listener knows
  agent:<number>             hash: state, since, reason, queues, current call...
  stats:<day>:queue:<name>   hash: today's counters (offered, answered, abandoned...)
  stats:<day>:agent:<number> hash: today's counters (answered, talk_seconds)
  live                       pub/sub channel: "something changed" after every write
  config:changed             pub/sub channel: a configuration change was saved (centre_config)
Commands to the listener (登录/示忙/监听...): list ami:commands, replies in ami:reply:<id>.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "hotline:"

    @property
    def listener_heartbeat(self) -> str:
        """Set with a short TTL by the AMI listener while its AMI connection is alive."""
        return f"{self.prefix}ami:heartbeat"

    def sip_failures(self, address: str) -> str:
        """Sorted set: times of recent SIP authentication failures from one address (SIP guard)."""
        return f"{self.prefix}sip:failures:{address}"

    @property
    def sip_blocklist(self) -> str:
        """Sorted set: blocked address → until (epoch seconds), applied as a PJSIP ACL."""
        return f"{self.prefix}sip:blocklist"

    @property
    def sip_guard_heartbeat(self) -> str:
        """Set with a short TTL by the SIP guard while it is logged in to AMI."""
        return f"{self.prefix}sip:guard:heartbeat"

    @property
    def listener_status(self) -> str:
        """Hash: connected, since, events, last resync, last flush."""
        return f"{self.prefix}ami:status"

    def queue(self, name: str) -> str:
        """Hash of one queue's live figures (parameters, waiting callers, members)."""
        return f"{self.prefix}queue:{name}"

    def queue_callers(self, name: str) -> str:
        """Hash: uniqueid → JSON of one waiting caller."""
        return f"{self.prefix}queue:{name}:callers"

    @property
    def queues(self) -> str:
        return f"{self.prefix}queues"

    @property
    def agents(self) -> str:
        return f"{self.prefix}agents"

    def agent(self, number: str) -> str:
        return f"{self.prefix}agent:{number}"

    def queue_stats(self, name: str, day: str) -> str:
        """Today's counters of a queue; ``day`` is the centre's local date, YYYYMMDD."""
        return f"{self.prefix}stats:{day}:queue:{name}"

    def agent_stats(self, number: str, day: str) -> str:
        return f"{self.prefix}stats:{day}:agent:{number}"

    @property
    def live_channel(self) -> str:
        """Pub/sub: the listener publishes here after each batch of writes (the wallboard listens)."""
        return f"{self.prefix}live"

    @property
    def config_channel(self) -> str:
        """Pub/sub: a JSON message after every saved configuration change (the FastAGI server reloads)."""
        return f"{self.prefix}config:changed"

    @property
    def commands(self) -> str:
        """List of JSON commands for the AMI listener (RPUSH by senders, BLPOP by the listener)."""
        return f"{self.prefix}ami:commands"

    def command_reply(self, command_id: str) -> str:
        return f"{self.prefix}ami:reply:{command_id}"

    def command_seen(self, command_id: str) -> str:
        """Set once a command id was taken: a command re-sent with the same id runs once."""
        return f"{self.prefix}ami:seen:{command_id}"

    @property
    def rq_queue(self) -> str:
        """Name of the rq queue for background jobs (rq adds its own rq: prefix)."""
        return f"{self.prefix.rstrip(':')}-jobs"

    def job_id(self, name: str) -> str:
        """A fixed rq job id (letters, digits, - and _ only), so a periodic job is queued once."""
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{self.prefix}{name}").strip("-")
