from __future__ import annotations

import stat

import pytest

from hotline.config import Settings


def test_defaults_keep_everything_under_one_run_folder(tmp_path):
    s = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert s.ports.sip == 5060 and s.ports.ami == 5038 and s.ports.agi == 4573
    assert s.bind_host == "127.0.0.1" and s.sip_bind == "127.0.0.1"
    assert s.recordings_dir.parent == tmp_path


def test_port_offset_moves_every_port(tmp_path):
    s = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "100"})
    base = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)}).ports
    assert all(getattr(s.ports, k) == getattr(base, k) + 100 for k in base.__dict__)


def test_to_env_reproduces_the_settings_in_a_child_process(tmp_path):
    s = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "7",
                           "DATABASE_URL": "postgresql://x@/y", "HOTLINE_SOFTPHONES": "1001"})
    assert Settings.from_env(s.to_env()) == s


def test_secrets_are_generated_once_and_private(tmp_path):
    s = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})
    first = dict(s.secrets)
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first["ami_pbx_listener"]) >= 20
    again = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})
    assert dict(again.secrets) == first


def test_each_service_has_its_own_ami_login(tmp_path):
    from hotline.config import AMI_USERS

    s = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})
    logins = {name: s.ami_login(name) for name in AMI_USERS}
    assert {user for user, _ in logins.values()} == set(AMI_USERS)
    assert len({secret for _, secret in logins.values()}) == len(AMI_USERS)
    assert "hotline" not in AMI_USERS                      # the one shared user is gone
    assert AMI_USERS["reconcile"].read == "" and AMI_USERS["reconcile"].write == "system"
    assert "command" not in AMI_USERS["listener"].write and AMI_USERS["listener"].eventfilter


def test_softphone_network_defaults_to_loopback_or_the_sip_bind_network(tmp_path):
    base = {"HOTLINE_RUN_DIR": str(tmp_path)}
    assert Settings.from_env(base).softphone_acl == "127.0.0.0/8"
    assert Settings.from_env({**base, "HOTLINE_SIP_BIND": "0.0.0.0"}).softphone_acl == "127.0.0.0/8"
    assert Settings.from_env({**base, "HOTLINE_SIP_BIND": "192.168.10.5"}).softphone_acl == "192.168.10.5/24"
    assert Settings.from_env({**base, "HOTLINE_SOFTPHONE_NETWORK": "10.8.0.0/16"}).softphone_acl == "10.8.0.0/16"


@pytest.mark.parametrize("value", ["0", "-3", "five"])
def test_sip_block_settings_must_be_positive(tmp_path, value):
    from hotline.errors import HotlineError

    with pytest.raises(HotlineError, match="HOTLINE_SIP_BLOCK_AFTER"):
        Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_SIP_BLOCK_AFTER": value})
