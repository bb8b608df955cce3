"""A second host for SIP edge tests: a network namespace joined to this one by a veth pair.

The pair gets a private /30 made for the test (this side .1, the namespace .2);
traffic between them stays inside this machine. Everything is removed on exit,
also when the test fails. Needs root (CI runs as root).
"""
from __future__ import annotations

import ipaddress
import random
import secrets
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OtherHost:
    name: str          # the namespace
    host_ip: str       # this side of the veth pair (where the PBX is reached)
    ip: str            # the other host's address

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True, text=True,
                              timeout=timeout)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _free_slash30() -> ipaddress.IPv4Network:
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    block = ipaddress.ip_network("10.254.0.0/16")
    for _ in range(100):
        net = list(block.subnets(new_prefix=30))[random.randrange(16384)]
        if str(net.network_address)[:-1] not in used:
            return net
    raise RuntimeError("no free /30 in 10.254.0.0/16")


@contextmanager
def other_host():
    tag = secrets.token_hex(3)
    name, outside, inside = f"hl-sip-{tag}", f"hlo{tag}", f"hli{tag}"
    net = _free_slash30()
    host_ip, ns_ip = (str(a) for a in net.hosts())
    _ip("netns", "add", name)
    try:
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", name)
        _ip("addr", "add", f"{host_ip}/30", "dev", outside)
        _ip("link", "set", outside, "up")
        _ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", inside)
        _ip("-n", name, "link", "set", inside, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        yield OtherHost(name, host_ip, ns_ip)
    finally:
        subprocess.run(["ip", "link", "del", outside], capture_output=True)   # removes both ends
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


SCENARIOS = Path(__file__).with_name("sipp")


def sipp(host: OtherHost, target: str, scenario: str, out_dir: Path, *, calls: int = 1,
         keys: dict[str, str] | None = None, extra: tuple[str, ...] = (), timeout: float = 30) -> tuple[int, str]:
    """Run one sipp scenario from the other host; (exit code, the SIP messages it saw)."""
    messages = out_dir / f"{scenario}-{secrets.token_hex(3)}-messages.log"
    argv = ["sipp", target, "-sf", str(SCENARIOS / f"{scenario}.xml"), "-i", host.ip, "-p", "5090",
            "-m", str(calls), "-r", "10", "-timeout", str(int(timeout)), "-timeout_error", "-nostdin",
            "-trace_msg", "-message_file", str(messages), "-recv_timeout", "5000"]
    for k, v in (keys or {}).items():
        argv += ["-key", k, v]
    argv += list(extra)
    done = host.run(*argv, timeout=timeout + 10)
    text = messages.read_text(errors="replace") if messages.exists() else ""
    return done.returncode, text + done.stdout[-2000:] + done.stderr[-2000:]
