"""SIP guard (防暴力破解): an address that keeps failing SIP authentication is blocked.

Asterisk reports each failed SIP authentication as an AMI security event
(InvalidAccountID, ChallengeResponseFailed, InvalidPassword). The guard counts
them per source address in Redis; HOTLINE_SIP_BLOCK_AFTER failures within
HOTLINE_SIP_BLOCK_WINDOW seconds put the address on the blocklist for
HOTLINE_SIP_BLOCK_SECONDS. The blocklist is a global res_pjsip ACL
(``pjsip_blocklist.conf``, included by pjsip.conf) applied by reloading
res_pjsip: the address then gets 403 to every request, before any endpoint,
authentication or dialplan. Loopback and the carrier's own address are never
blocked (that would cut the trunk): their failures are only logged.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from pathlib import Path

import redis

from hotline.ami import AmiClient
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.keys import Keys

log = logging.getLogger("ops.sip_guard")

AUTH_FAILURES = ("InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword")
BLOCKLIST_FILE = "pjsip_blocklist.conf"
HEARTBEAT_TTL = 5


def remote_ip(event: dict[str, str]) -> str | None:
    """``RemoteAddress: IPV4/UDP/10.0.0.2/5090`` → ``10.0.0.2`` (None if unreadable)."""
    parts = event.get("RemoteAddress", "").split("/")
    if len(parts) < 3:
        return None
    try:
        return str(ipaddress.ip_address(parts[2].strip("[]")))
    except ValueError:
        return None


def blocklist_conf(addresses: list[str]) -> str:
    lines = ["; Written by the SIP guard (ops.asterisk.sip_guard): addresses blocked after repeated",
             "; SIP authentication failures. Do not edit: `hotline asterisk unblock ADDRESS`."]
    if addresses:
        lines += ["[blocklist]", "type = acl"]
        lines += [f"deny = {a}/{'32' if ipaddress.ip_address(a).version == 4 else '128'}" for a in addresses]
    return "\n".join(lines) + "\n"


class SipGuard:
    def __init__(self, settings: Settings, client: redis.Redis, etc_dir: Path):
        self.settings, self.r, self.keys = settings, client, Keys(settings.redis_prefix)
        self.path = etc_dir / BLOCKLIST_FILE
        self.protected = {ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")}
        try:
            self.protected.add(ipaddress.ip_network(settings.carrier_host))
        except ValueError:
            pass   # a host name: the carrier is then known by name only, nothing to protect here

    # --- rules -------------------------------------------------------------------------
    def is_protected(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in net for net in self.protected if net.version == ip.version)

    def note_failure(self, address: str, now: float) -> bool:
        """Count one failure; True when this one puts the address on the blocklist."""
        if self.is_protected(address):
            log.warning("SIP authentication failure from protected address %s (never blocked)", address)
            return False
        s = self.settings
        key = self.keys.sip_failures(address)
        pipe = self.r.pipeline()
        pipe.zadd(key, {f"{now:.6f}": now})
        pipe.zremrangebyscore(key, "-inf", now - s.sip_block_window)
        pipe.zcard(key)
        pipe.expire(key, s.sip_block_window)
        count = pipe.execute()[2]
        if count < s.sip_block_after:
            return False
        newly = self.r.zscore(self.keys.sip_blocklist, address) is None
        self.r.zadd(self.keys.sip_blocklist, {address: now + s.sip_block_seconds})
        self.r.delete(key)
        if newly:
            log.warning("blocking %s for %ds after %d SIP authentication failures in %ds",
                        address, s.sip_block_seconds, count, s.sip_block_window)
        return newly

    def blocked(self, now: float) -> list[str]:
        self.r.zremrangebyscore(self.keys.sip_blocklist, "-inf", now)
        return sorted(a.decode() if isinstance(a, bytes) else a
                      for a in self.r.zrangebyscore(self.keys.sip_blocklist, now, "+inf"))

    def unblock(self, address: str) -> bool:
        self.r.delete(self.keys.sip_failures(address))
        return bool(self.r.zrem(self.keys.sip_blocklist, address))

    # --- applying it to Asterisk ------------------------------------------------------
    def write_blocklist(self, now: float) -> bool:
        """Write pjsip_blocklist.conf (0600) if it differs; True when it changed."""
        text = blocklist_conf(self.blocked(now))
        try:
            if self.path.read_text() == text:
                return False
        except FileNotFoundError:
            pass
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        folder = self.path.parent.stat()       # Asterisk's own account must read it
        os.chown(tmp, folder.st_uid, folder.st_gid)
        tmp.replace(self.path)
        return True

    def apply(self, ami: AmiClient, now: float) -> bool:
        if not self.write_blocklist(now):
            return False
        reply = ami.action("Reload", Module="res_pjsip.so")
        if reply.get("Response") != "Success":
            raise HotlineError(f"Asterisk refused to reload res_pjsip: {reply.get('Message')}")
        log.info("blocklist applied: %s", ", ".join(self.blocked(now)) or "(empty)")
        return True

    # --- the service ---------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        user, secret = self.settings.ami_login("sipguard")
        while not stop.is_set():
            try:
                with AmiClient("127.0.0.1", self.settings.ports.ami, user, secret) as ami:
                    log.info("SIP guard logged in to AMI as %s", user)
                    self._watch(ami, stop)
            except (HotlineError, OSError, redis.RedisError) as e:
                log.warning("SIP guard: %s; retrying", e)
                self.r.delete(self.keys.sip_guard_heartbeat)
                stop.wait(1.0)

    def _watch(self, ami: AmiClient, stop: threading.Event) -> None:
        self.apply(ami, time.time())    # after a (re)start of either side: the blocklist is in force
        while not stop.is_set():
            self.r.set(self.keys.sip_guard_heartbeat, "1", ex=HEARTBEAT_TTL)
            event = ami.wait_event(lambda m: m.get("Event") in AUTH_FAILURES, timeout=1.0)
            now = time.time()
            if event is not None and (address := remote_ip(event)):
                log.info("SIP %s from %s (account %s)", event.get("Event"), address, event.get("AccountID", "?"))
                self.note_failure(address, now)
            self.apply(ami, now)        # new blocks, and expired ones lifted


def main(settings: Settings, etc_dir: Path) -> None:
    """Run in the foreground until SIGTERM (``etc_dir``: the PBX's rendered configuration)."""
    import signal

    from hotline.redis_conn import redis_client

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    SipGuard(settings, redis_client(settings), etc_dir).run(stop)
