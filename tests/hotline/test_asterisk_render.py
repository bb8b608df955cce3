"""Rendering asterisk_conf/ is a pure function of the database; check what it produces."""
from __future__ import annotations

import re

import pytest

import hotline.dialplan as variables
from agi.handlers import HANDLERS
from hotline.config import AMI_USERS, ASTERISK_CONF_DIR, Settings
from ops.asterisk import render
from ops.asterisk.binary import AsteriskBinary

AGENTS = [{"number": "1001", "name": "张伟", "sip_username": "agent1001", "sip_secret": "pw-one"},
          {"number": "1004", "name": "Emily", "sip_username": "agent1004", "sip_secret": "pw-four"}]
TIMINGS = {"ring_timeout_seconds": 15, "announce_position": True, "announce_frequency_seconds": 45,
           "periodic_announce_seconds": 60}
QUEUES = [{"name": "12345", "display_name": "12345 普通话", "strategy": "rrmemory", "wrapup_seconds": 15,
           "service_level_seconds": 15, "members": [dict(AGENTS[0], penalty=0)], **TIMINGS},
          {"name": "english", "display_name": "English desk", "strategy": "rrmemory", "wrapup_seconds": 15,
           "service_level_seconds": 15, "members": [dict(AGENTS[1], penalty=0), dict(AGENTS[0], penalty=1)],
           **TIMINGS, "ring_timeout_seconds": 25, "announce_position": False}]

SUPERVISORS = [{"username": "supervisor", "name": "值班长", "sip_username": "sup-supervisor", "sip_secret": "pw-sup"},
               {"username": "night", "name": "夜班", "sip_username": "sup-night", "sip_secret": "pw-night"}]


@pytest.fixture
def rendered(tmp_path):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_PORT_OFFSET": "10"})
    pbx, carrier = render.instances(settings, AsteriskBinary(root=None))
    pbx.render(render.pbx_context(settings, AGENTS, QUEUES, SUPERVISORS))
    carrier.render(render.carrier_context(settings, AGENTS, "1004,supervisor", SUPERVISORS))
    return settings, pbx.etc_dir, carrier.etc_dir


def sections(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    """Asterisk config as (section, {key: [values]}) pairs; sections may repeat."""
    out: list[tuple[str, dict[str, list[str]]]] = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if m := re.fullmatch(r"\[([^\]]+)\](\(.*\))?", line):
            out.append((m.group(1), {}))
        elif out and ("=" in line):
            key, _, value = line.partition("=>" if "=>" in line else "=")
            out[-1][1].setdefault(key.strip(), []).append(value.strip().lstrip(">").strip())
    return out


def test_ami_is_loopback_only_one_user_per_service_with_its_own_secret(rendered):
    settings, pbx_etc, carrier_etc = rendered
    for etc, instance in ((pbx_etc, "pbx"), (carrier_etc, "carrier")):
        ami = dict(sections((etc / "manager.conf").read_text()))
        assert ami["general"]["bindaddr"] == ["127.0.0.1"]
        users = {name: body for name, body in ami.items() if name != "general"}
        assert set(users) == {u.username for u in AMI_USERS.values() if u.instance == instance}
        for name, body in users.items():
            user = AMI_USERS[name]
            assert body["secret"] == [settings.ami_login(name)[1]]
            assert body["read"] == [user.read] and body["write"] == [user.write]
            assert body["permit"] == ["127.0.0.1/255.255.255.255"]
    assert dict(sections((pbx_etc / "manager.conf").read_text()))["general"]["port"] == [str(settings.ports.ami)]


def test_the_listener_and_the_guard_have_event_filters(rendered):
    _, pbx_etc, _ = rendered
    text = (pbx_etc / "manager.conf").read_text()
    listener = text.split("[listener]")[1].split("\n[")[0]
    filters = re.findall(r"^eventfilter\(action\(include\),name\((\w+)\)\) =$", listener, flags=re.M)
    assert tuple(filters) == AMI_USERS["listener"].eventfilter and "VarSet" not in filters
    guard = text.split("[sipguard]")[1].split("\n[")[0]
    assert "name(ChallengeResponseFailed)" in guard


def test_rendered_files_are_private(rendered):
    import stat

    _, pbx_etc, carrier_etc = rendered
    for etc in (pbx_etc, carrier_etc):
        assert stat.S_IMODE(etc.stat().st_mode) == 0o700
        for path in etc.glob("*.conf"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_the_carrier_is_known_by_address_and_port_and_fenced_by_an_acl(rendered):
    settings, pbx_etc, _ = rendered
    text = (pbx_etc / "pjsip.conf").read_text()
    found = sections(text)
    assert dict(found)["global"]["endpoint_identifier_order"] == ["ip,username,anonymous"]
    carrier = {body["type"][0]: body for name, body in found if name == "carrier"}
    assert carrier["identify"]["match"] == [f"127.0.0.1:{settings.ports.carrier_sip}"]
    assert carrier["endpoint"]["acl"] == ["carrier"] and carrier["endpoint"]["trust_id_inbound"] == ["yes"]
    trusting = [name for name, body in found if body.get("trust_id_inbound") == ["yes"]]
    assert trusting == ["carrier"]                     # no other endpoint's caller ID is believed
    for name, body in found:
        if body.get("type") == ["endpoint"] and name != "carrier":
            assert body["acl"] == ["softphones"], name
    assert "#tryinclude pjsip_blocklist.conf" in text
    acl = dict(sections((pbx_etc / "acl.conf").read_text()))
    assert acl["carrier"]["permit"] == ["127.0.0.1"] and acl["softphones"]["permit"] == ["127.0.0.0/8"]
    assert "0.0.0.0/0.0.0.0" in acl["carrier"]["deny"]


def test_simulated_softphones_speak_from_their_own_port(rendered):
    settings, _, carrier_etc = rendered
    found = sections((carrier_etc / "pjsip.conf").read_text())
    phones = dict((name, body) for name, body in found if name == "transport-phones")
    assert phones["transport-phones"]["bind"] == [f"127.0.0.1:{settings.ports.carrier_phones}"]
    for name, body in found:
        if body.get("type") == ["registration"] or (name.startswith("phone-") and body.get("type") == ["endpoint"]):
            assert body["transport"] == ["transport-phones"], name
    trunk = next(body for name, body in found if name == "hotline" and body["type"] == ["endpoint"])
    assert trunk["transport"] == ["transport-udp"]


def test_every_agent_gets_an_endpoint_auth_and_aor(rendered):
    _, pbx_etc, _ = rendered
    found = sections((pbx_etc / "pjsip.conf").read_text())
    for agent in AGENTS:
        types = {body["type"][0]: body for name, body in found if name == agent["sip_username"]}
        assert set(types) == {"endpoint", "auth", "aor"}
        assert types["auth"]["password"] == [agent["sip_secret"]]
        assert types["endpoint"]["context"] == ["agents"]
    transport = next(body for name, body in found if name == "transport-udp")
    assert transport["bind"] == ["127.0.0.1:5070"]


def test_queues_have_no_static_members_agents_log_in(rendered):
    """Membership is dynamic (QueueAdd at login) and survives an Asterisk restart (astdb)."""
    _, pbx_etc, _ = rendered
    queues = dict(sections((pbx_etc / "queues.conf").read_text()))
    assert all("member" not in body for body in queues.values())
    assert queues["general"]["persistentmembers"] == ["yes"]
    assert queues["12345"]["wrapuptime"] == ["15"]


def test_queue_timings_come_from_the_database(rendered):
    _, pbx_etc, _ = rendered
    queues = dict(sections((pbx_etc / "queues.conf").read_text()))
    assert queues["12345"]["timeout"] == ["15"] and queues["english"]["timeout"] == ["25"]
    assert queues["12345"]["announce-position"] == ["yes"] and queues["english"]["announce-position"] == ["no"]
    assert queues["12345"]["announce-frequency"] == ["45"]
    assert queues["12345"]["periodic-announce-frequency"] == ["60"]


def test_carrier_registers_only_the_chosen_softphones(rendered):
    _, _, carrier_etc = rendered
    regs = [name for name, body in sections((carrier_etc / "pjsip.conf").read_text())
            if body.get("type") == ["registration"]]
    assert regs == ["phone-agent1004", "phone-sup-supervisor"]


def test_chosen_softphones_can_dial_feature_codes_as_their_agent(rendered):
    _, _, carrier_etc = rendered
    found = sections((carrier_etc / "pjsip.conf").read_text())
    endpoint = next(body for name, body in found if name == "phone-agent1004" and body["type"] == ["endpoint"])
    assert endpoint["from_user"] == ["agent1004"] and endpoint["outbound_auth"] == ["phone-agent1004"]


def test_every_supervisor_gets_a_phone(rendered):
    _, pbx_etc, _ = rendered
    found = sections((pbx_etc / "pjsip.conf").read_text())
    for sup in SUPERVISORS:
        types = {body["type"][0]: body for name, body in found if name == sup["sip_username"]}
        assert set(types) == {"endpoint", "auth", "aor"}
        assert types["auth"]["password"] == [sup["sip_secret"]]
        assert types["endpoint"]["context"] == ["supervisors"]


def test_asterisk_conf_points_every_folder_at_the_run_folder(rendered):
    settings, pbx_etc, _ = rendered
    dirs = dict(sections((pbx_etc / "asterisk.conf").read_text()))["directories"]
    for key in ("astetcdir", "astdbdir", "astspooldir", "astrundir", "astlogdir"):
        assert dirs[key][0].startswith(str(settings.run_dir)), key


def _agi_scripts(text: str) -> set[str]:
    return set(re.findall(r"AGI\(\$\{HOTLINE_AGI\}/([a-z_]+)", text))


def _dialplan() -> str:
    """extensions.conf with the files it #includes (agents', supervisors')."""
    folder = ASTERISK_CONF_DIR / "pbx"
    main = (folder / "extensions.conf").read_text()
    included = re.findall(r"^#include\s+(\S+)", main, flags=re.M)
    assert "extensions_agents.conf" in included and "extensions_supervisor.conf" in included
    return "\n".join([main] + [(folder / name).read_text() for name in included])


def test_every_agi_script_in_the_dialplan_has_a_handler_and_back():
    dialplan = _dialplan()
    used = _agi_scripts(dialplan)
    assert used <= set(HANDLERS), f"dialplan calls scripts with no handler: {used - set(HANDLERS)}"
    # "ping" is the health check of `hotline up`/`status`, not a dialplan entry point
    assert set(HANDLERS) - used == {"ping"}


def test_dialplan_uses_only_channel_variables_defined_in_the_dialplan_contract():
    dialplan = _dialplan()
    defined = {v for k, v in vars(variables).items() if k.isupper() and isinstance(v, str)}
    globals_ = {"HOTLINE_AGI"}  # [globals] of the dialplan itself
    used = set(re.findall(r"\b(HOTLINE_[A-Z_]+)\b", dialplan)) - globals_
    assert used <= defined, f"undefined in hotline/dialplan.py: {sorted(used - defined)}"


def test_templates_hold_no_secrets():
    for path in ASTERISK_CONF_DIR.rglob("*.conf"):
        for line in path.read_text().splitlines():
            m = re.match(r"\s*(secret|password)\s*=\s*(.*)", line)
            if m:
                assert m.group(2).startswith("{{"), f"{path}: literal {m.group(1)}"


def test_the_dialplan_unpacks_the_decision_in_pythons_field_order():
    dialplan = (ASTERISK_CONF_DIR / "pbx" / "extensions.conf").read_text()
    unpacked = re.search(r"Set\(ARRAY\(([A-Z_,]+)\)=\$\{HOTLINE_DECISION\}\)", dialplan).group(1).split(",")
    assert tuple(unpacked) == variables.DECISION_FIELDS


def test_the_softphones_pause_codes_are_the_contracts_pause_digits():
    """*23<digit> in extensions_agents.conf sets exactly the reason hotline.dialplan.PAUSE_DIGITS names."""
    import re

    from hotline.config import ASTERISK_CONF_DIR
    from queue_logic.states import PAUSE_REASONS

    text = (ASTERISK_CONF_DIR / "pbx" / "extensions_agents.conf").read_text(encoding="utf-8")
    codes = dict(re.findall(r"^exten => \*23(\d),1,Set\(HOTLINE_PAUSE_REASON=(\w+)\)", text, re.M))
    assert codes == variables.PAUSE_DIGITS
    assert set(codes.values()) <= set(PAUSE_REASONS)
