"""The SIP and AMI edges (issue 10, items 6 and 7) on the real Asterisk.

The PBX listens on every address here (HOTLINE_SIP_BIND=0.0.0.0, as the README
suggests for LAN softphones), and a second host in a network namespace tries
what an outsider would: an INVITE that claims to be the carrier, an agent's
REGISTER, and a run of bad authentications. The carrier on loopback, the
softphones and every service keep working, each with its own AMI user.
"""
from __future__ import annotations

import re
import stat

import pytest
from sqlalchemy import func, select

from hotline.ami import AmiClient
from hotline.config import AMI_USERS
from hotline.errors import HotlineError
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from tests.support.netns import other_host, sipp
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

BLOCK_AFTER = 3
HOTLINE_ENV = {"HOTLINE_SIP_BIND": "0.0.0.0", "HOTLINE_SIP_BLOCK_AFTER": str(BLOCK_AFTER)}
OWN_HOTLINE = True    # the PBX listens on every address and blocks after 3 failures: settings of its own
SPOOFED_CALLER = "13900000099"


@pytest.fixture(scope="module")
def outsider():
    with other_host() as host:
        yield host


def answers(messages: str) -> list[str]:
    """Status codes of the SIP responses in a sipp message log."""
    return re.findall(r"^\s*SIP/2\.0 (\d{3})", messages, flags=re.M)


def call_rows(hotline) -> int:
    from db.models import Call

    with hotline.session_factory()() as session:
        return session.scalar(select(func.count()).select_from(Call))


def pbx_messages(hotline) -> str:
    return (hotline.pbx.base_dir / "log" / "messages").read_text(errors="replace")


def ami(hotline, user: str) -> AmiClient:
    port = hotline.settings.ports.ami if AMI_USERS[user].instance == "pbx" else hotline.settings.ports.carrier_ami
    return AmiClient("127.0.0.1", port, *hotline.settings.ami_login(user))


# --- the SIP edge ------------------------------------------------------------------------------
def test_spoofed_carrier_invite_from_another_host_is_refused(hotline, outsider, tmp_path):
    before = call_rows(hotline)
    code, log = sipp(outsider, f"{outsider.host_ip}:{hotline.settings.ports.sip}", "spoofed_carrier_invite",
                     tmp_path, keys={"caller": SPOOFED_CALLER})

    assert code == 0, log
    assert answers(log)[-1] in {"401", "403"}, log
    assert "180" not in answers(log) and "200" not in answers(log)
    # nothing reached the dialplan: no channel, no AGI request, no call record
    assert "0 active channels" in hotline.pbx.cli("core show channels count")
    assert SPOOFED_CALLER not in hotline.agi_log()
    assert call_rows(hotline) == before
    assert f"Rejecting '{outsider.ip}' due to a failure to pass ACL 'carrier'" in pbx_messages(hotline)


def test_the_real_carrier_on_loopback_still_delivers_calls(hotline):
    record = hotline.call("12345", "--from", "13800000002", "--dtmf", "1", "--dtmf-delay", "1",
                          "--hangup-after", "2")
    assert record["caller"] == "13800000002"          # its caller ID is trusted
    assert record["outcome"] == "answered"


def test_agent_phone_outside_the_softphone_network_is_refused_even_with_its_password(hotline, outsider, tmp_path):
    from db.models import Agent

    with hotline.session_factory()() as session:
        password = session.scalar(select(Agent.sip_secret).where(Agent.sip_username == "agent1001"))
    code, log = sipp(outsider, f"{outsider.host_ip}:{hotline.settings.ports.sip}", "register_with_password",
                     tmp_path, keys={"user": "agent1001"}, extra=("-au", "agent1001", "-ap", password))
    assert code == 0, log
    assert "200" not in answers(log) and answers(log)[-1] in {"401", "403"}, log
    # the ACL refused it (answered like an unknown account, so accounts cannot be probed)
    assert f"Rejecting '{outsider.ip}' due to a failure to pass ACL 'softphones'" in pbx_messages(hotline)
    contacts = hotline.pbx.cli("pjsip show contacts")
    assert outsider.ip not in contacts and "agent1001" in hotline.registered_agents()


def test_repeated_auth_failures_block_the_address_until_lifted(hotline, outsider, tmp_path):
    target = f"{outsider.host_ip}:{hotline.settings.ports.sip}"
    keys = Keys(hotline.settings.redis_prefix)
    r = redis_client(hotline.settings)
    blocklist = hotline.pbx.etc_dir / "pjsip_blocklist.conf"
    hotline.start_service("sipguard")
    try:
        for attempt in range(BLOCK_AFTER):
            code, log = sipp(outsider, target, "register_once", tmp_path, keys={"user": f"scan{attempt}"})
            assert code == 0 and answers(log)[-1] == "401", log     # challenged: a guess may go on
        wait_for(lambda: r.zscore(keys.sip_blocklist, outsider.ip) is not None, 10, "the outsider blocked")
        wait_for(lambda: blocklist.exists() and f"deny = {outsider.ip}/32" in blocklist.read_text(), 5,
                 "the blocklist written")
        assert stat.S_IMODE(blocklist.stat().st_mode) == 0o600

        def refused() -> bool:
            code, log = sipp(outsider, target, "register_once", tmp_path, keys={"user": "scan9"})
            return code == 0 and answers(log)[-1] == "403"
        wait_for(refused, 10, "the blocked address refused with 403", interval=0.5)
        # loopback is never blocked: the carrier and the softphones carry on
        assert "agent1001" in hotline.registered_agents()

        done = hotline.hotline_cli("asterisk", "unblock", outsider.ip)
        assert done.returncode == 0 and "unblocked" in done.stdout, done.stderr

        def challenged() -> bool:
            code, log = sipp(outsider, target, "register_once", tmp_path, keys={"user": "scan10"})
            return code == 0 and answers(log)[-1] == "401"
        wait_for(challenged, 10, "the lifted address challenged again", interval=0.5)
    finally:
        hotline.stop_service("sipguard")
        r.delete(keys.sip_blocklist)


# --- AMI least privilege and secrets -----------------------------------------------------------
def test_the_shared_ami_user_is_gone_and_each_service_has_its_own(hotline):
    with pytest.raises(HotlineError, match="refused"):
        AmiClient("127.0.0.1", hotline.settings.ports.ami, "hotline", "anything").connect()
    for user in AMI_USERS:
        with ami(hotline, user) as client:
            assert client.action("Ping")["Response"] == "Success"
    secrets = {hotline.settings.ami_login(u)[1] for u in AMI_USERS}
    assert len(secrets) == len(AMI_USERS)             # no two services share a secret


def test_each_ami_user_may_do_only_its_own_work(hotline):
    with ami(hotline, "reconcile") as client:          # the rq worker's job: astdb only
        assert client.action("DBPut", Family="edge-test", Key="k", Val="v")["Response"] == "Success"
        tree = client.action_list("DBGetTree", Family="edge-test")
        assert [e["Val"] for e in tree if e.get("Event") == "DBGetTreeResponse"] == ["v"]
        assert client.action("DBDel", Family="edge-test", Key="k")["Response"] == "Success"
        assert client.action("Originate", Channel="Local/s@nowhere", Application="Wait",
                             Data="1")["Message"] == "Permission denied"
        assert client.action("Command", Command="core show version")["Message"] == "Permission denied"
    with ami(hotline, "sipguard") as client:
        assert client.action("QueuePause", Interface="PJSIP/agent1001", Paused="true")["Message"] == "Permission denied"
    with ami(hotline, "listener") as client:
        assert client.action("Command", Command="core show version")["Message"] == "Permission denied"
    with ami(hotline, "simulator") as client:          # the carrier's citizen simulator
        assert client.action("Command", Command="core show version")["Message"] == "Permission denied"


def test_the_listener_gets_only_the_events_it_uses(hotline):
    with ami(hotline, "listener") as listener, hotline.pbx_ami() as cli:
        assert cli.action("UserEvent", UserEvent="EdgeProbe")["Response"] == "Success"
        assert cli.action("QueuePause", Interface="PJSIP/agent1004", Paused="true", Queue="english")["Response"] == "Success"
        try:
            paused = listener.wait_event(lambda m: m.get("Event") == "QueueMemberPause", 5)
            assert paused is not None and paused["Interface"] == "PJSIP/agent1004"
        finally:
            cli.action("QueuePause", Interface="PJSIP/agent1004", Paused="false", Queue="english")
        seen = listener.wait_event(lambda m: m.get("Event") not in AMI_USERS["listener"].eventfilter, 1.0)
        assert seen is None, seen                       # no UserEvent, no VarSet, no Newexten


def test_rendered_secrets_and_logs_are_private(hotline):
    s = hotline.settings

    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)
    for inst in (hotline.pbx, hotline.carrier):
        assert mode(inst.etc_dir) == 0o700
        for name in ("manager.conf", "pjsip.conf", "asterisk.conf"):
            assert mode(inst.etc_dir / name) == 0o600, name
        assert mode(inst.log_file) == 0o640
        assert mode(inst.base_dir / "log" / "messages") & 0o007 == 0
    assert mode(s.run_dir / "secrets.json") == 0o600


def test_asterisk_runs_as_its_own_user_not_root(hotline):
    import pwd

    for inst in (hotline.pbx, hotline.carrier):
        assert inst.run_user.name == "asterisk", inst.run_user.reason
        pid = int((inst.base_dir / "run" / "asterisk.pid").read_text())
        uids = next(line for line in open(f"/proc/{pid}/status") if line.startswith("Uid:")).split()[1:]
        assert set(uids) == {str(pwd.getpwnam("asterisk").pw_uid)}      # real, effective, saved, fs
    # its files are its own, and the run folder lets only its group pass
    assert (hotline.pbx.etc_dir / "manager.conf").stat().st_uid == pwd.getpwnam("asterisk").pw_uid
    assert stat.S_IMODE(hotline.settings.run_dir.stat().st_mode) & 0o007 == 0
