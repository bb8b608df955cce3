"""Every Redis key name of the hotline, built in one place (one prefix per installation)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "hotline:"

    @property
    def listener_heartbeat(self) -> str:
        """Set with a short TTL by the AMI listener while its AMI connection is alive."""
        return f"{self.prefix}ami:heartbeat"

    @property
    def listener_status(self) -> str:
        """Hash: connected, since, events, last_event, asterisk version."""
        return f"{self.prefix}ami:status"

    def queue(self, name: str) -> str:
        """Hash of one queue's live figures (waiting callers, agents available...)."""
        return f"{self.prefix}queue:{name}"

    @property
    def queues(self) -> str:
        return f"{self.prefix}queues"

    @property
    def rq_queue(self) -> str:
        """Name of the rq queue for background jobs (rq adds its own rq: prefix)."""
        return f"{self.prefix.rstrip(':')}-jobs"

    def job_id(self, name: str) -> str:
        """A fixed rq job id (letters, digits, - and _ only), so a periodic job is queued once."""
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{self.prefix}{name}").strip("-")
