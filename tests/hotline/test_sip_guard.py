"""The SIP guard's rules on a real Redis (the blocking itself is tested on Asterisk in
tests/integration/test_telephony_edge.py)."""
from __future__ import annotations

import secrets
import stat

import pytest

from hotline.config import Settings
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from ops.asterisk.sip_guard import SipGuard, blocklist_conf, remote_ip


@pytest.fixture
def guard(tmp_path):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_REDIS_PREFIX": f"hlguard-{secrets.token_hex(4)}:",
                                  "HOTLINE_SIP_BLOCK_AFTER": "3", "HOTLINE_SIP_BLOCK_WINDOW": "60",
                                  "HOTLINE_SIP_BLOCK_SECONDS": "600"})
    r = redis_client(settings, check=True)
    yield SipGuard(settings, r, tmp_path)
    keys = list(r.scan_iter(f"{settings.redis_prefix}*"))
    if keys:
        r.delete(*keys)


def test_remote_address_of_a_security_event():
    assert remote_ip({"RemoteAddress": "IPV4/UDP/10.254.0.2/5090"}) == "10.254.0.2"
    assert remote_ip({"RemoteAddress": "IPV6/UDP/[2001:db8::5]/5060"}) == "2001:db8::5"
    assert remote_ip({"RemoteAddress": "garbage"}) is None
    assert remote_ip({}) is None


def test_failures_within_the_window_block_and_old_ones_do_not_count(guard):
    t = 1_000_000.0
    assert not guard.note_failure("10.254.0.2", t)
    assert not guard.note_failure("10.254.0.2", t + 1)
    assert not guard.note_failure("10.254.0.2", t + 70)      # the first two are out of the window now
    assert guard.blocked(t + 70) == []
    assert not guard.note_failure("10.254.0.2", t + 71)
    assert guard.note_failure("10.254.0.2", t + 72)          # the third within 60 s
    assert guard.blocked(t + 72) == ["10.254.0.2"]
    assert guard.blocked(t + 72 + 601) == []                 # the block expires


def test_loopback_and_the_carrier_are_never_blocked(guard):
    for _ in range(10):
        assert not guard.note_failure("127.0.0.1", 1000.0)
    assert guard.blocked(1000.0) == []


def test_the_blocklist_file_is_private_and_written_only_on_change(guard):
    for i in range(3):
        guard.note_failure("10.254.0.6", 1000.0 + i)
    assert guard.write_blocklist(1003.0)
    assert "deny = 10.254.0.6/32" in guard.path.read_text()
    assert stat.S_IMODE(guard.path.stat().st_mode) == 0o600
    assert not guard.write_blocklist(1004.0)
    assert guard.unblock("10.254.0.6")
    assert guard.write_blocklist(1005.0) and "deny" not in guard.path.read_text()
    assert not guard.r.exists(Keys(guard.settings.redis_prefix).sip_failures("10.254.0.6"))


def test_an_empty_blocklist_has_no_acl_section():
    assert "[blocklist]" not in blocklist_conf([])
    assert "deny = 2001:db8::5/128" in blocklist_conf(["2001:db8::5"])
