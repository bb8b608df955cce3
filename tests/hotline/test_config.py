from __future__ import annotations

import stat

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
    assert len(first["ami_secret"]) >= 20
    again = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})
    assert dict(again.secrets) == first
