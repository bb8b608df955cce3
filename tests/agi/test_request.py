"""AgiRequest: what a handler reads about a call."""
from __future__ import annotations

import io
import logging

import pytest

from agi.request import AgiRequest, argv_of, build_logging_adapter, split_script
from agi.session import AgiSession


@pytest.mark.parametrize("value, script, args", [
    ("inbound", "inbound", {}),
    ("inbound?x=1", "inbound", {"x": "1"}),
    ("/inbound/?x=1&y=", "inbound", {"x": "1", "y": ""}),
    ("agi://127.0.0.1:4573/inbound?x=1", "inbound", {"x": "1"}),
    ("agi://127.0.0.1:4573/ivr/menu/?dept=%E4%BD%8F%E5%BB%BA&x=1&x=2", "ivr/menu", {"dept": "住建", "x": "2"}),
    ("", "", {}),
])
def test_split_script(value, script, args):
    assert split_script(value) == (script, args)


def test_argv_stops_at_the_first_gap():
    assert argv_of({"agi_arg_1": "a", "agi_arg_2": "", "agi_arg_4": "d"}) == ["a", ""]


def request_for(env: dict[str, str]) -> AgiRequest:
    text = "".join(f"{k}: {v}\n" for k, v in env.items()) + "\n"
    return AgiRequest(AgiSession(io.StringIO(text), io.StringIO()), session=None)


def test_call_facts():
    request = request_for({"agi_request": "agi://127.0.0.1:4573/inbound?lang=zh", "agi_uniqueid": "17.3",
                           "agi_callerid": "13800138000", "agi_dnid": "12345", "agi_extension": "s",
                           "agi_arg_1": "vip"})
    assert (request.script, request.args, request.argv) == ("inbound", {"lang": "zh"}, ["vip"])
    assert (request.uniqueid, request.caller, request.dialed_number) == ("17.3", "13800138000", "12345")


def test_unknown_caller_and_dnid():
    request = request_for({"agi_network_script": "inbound", "agi_callerid": "unknown",
                           "agi_dnid": "unknown", "agi_extension": "12345"})
    assert request.caller == ""
    assert request.dialed_number == "12345"


def test_log_adapter_prefixes_the_uniqueid(caplog):
    caplog.set_level(logging.INFO)
    build_logging_adapter("17.3", "agi.test").info("queued for %s", "住建", extra={"queue": "q1"})
    [record] = caplog.records
    assert record.getMessage() == "[17.3] queued for 住建"
    assert (record.uniqueid, record.queue) == ("17.3", "q1")
