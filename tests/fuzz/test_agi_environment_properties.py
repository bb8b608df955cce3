"""Property tests of the FastAGI environment parser (agi/session.py, agi/request.py).

Whatever a peer sends, reading the environment either gives ``agi_*`` keys with one-line values or raises
MalformedEnvironment — never anything else, so a port scanner is turned away and a call is never lost to a
crash; what Asterisk sends comes back exactly.
"""
from __future__ import annotations

import io
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from agi.request import AgiRequest, argv_of, split_script
from agi.session import MAX_ENV_LINES, AgiSession, MalformedEnvironment
from tests.fuzz.budget import PROPERTY

KEY = st.from_regex(r"agi_[a-z0-9_]{1,24}", fullmatch=True)
ONE_LINE = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=200) \
    .filter(lambda v: not v.startswith(" "))  # "key: value": the one space after the colon is the separator
ENVIRONMENT = st.dictionaries(KEY, ONE_LINE, max_size=40)


def session_of(text: str) -> AgiSession:
    return AgiSession(io.StringIO(text), io.StringIO(), read_environment=False)


@PROPERTY
@given(env=ENVIRONMENT)
def test_what_asterisk_sends_is_read_back_exactly(env):
    text = "".join(f"{key}: {value}\n" for key, value in env.items()) + "\n"
    assert session_of(text).read_environment() == env


@PROPERTY
@given(text=st.text(max_size=3000) | st.lists(st.sampled_from(
    ["agi_request: x\n", "\n", "agi_", ": value\n", "agi_arg_1:\n", "garbage\n", "\r\n", "x" * 9000, "\x00"]),
    max_size=60).map("".join))
def test_anything_else_is_malformed_never_a_crash(text):
    try:
        env = session_of(text).read_environment()
    except MalformedEnvironment as refused:
        assert refused.reason and isinstance(refused.env, dict)
        return
    assert all(key.startswith("agi_") and "\n" not in value for key, value in env.items())
    assert len(env) < MAX_ENV_LINES


@PROPERTY
@given(env=ENVIRONMENT)
def test_a_request_reads_its_call_facts_from_any_environment(env):
    request = AgiRequest(session_of(""), session=None)  # the environment as the server hands it over
    request.env = env
    assert request.caller != "unknown" and isinstance(request.dialed_number, str)
    assert isinstance(request.uniqueid, str) and repr(request)


@PROPERTY
@given(name=st.from_regex(r"[a-z][a-z0-9_-]{0,15}(/[a-z][a-z0-9_-]{0,15}){0,2}", fullmatch=True),
       args=st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=10),
                            st.text(st.characters(exclude_categories=["Cs"]), max_size=30), max_size=5),
       as_url=st.booleans())
def test_script_and_args_round_trip(name, args, as_url):
    query = urlencode(args, quote_via=quote)
    value = f"agi://127.0.0.1:4573/{name}/?{query}" if as_url else f"{name}?{query}"
    assert split_script(value) == (name, args)


@PROPERTY
@given(value=st.text(max_size=300))
def test_split_script_never_raises(value):
    script, args = split_script(value)
    assert not script.startswith("/") and not script.endswith("/") and isinstance(args, dict)


@PROPERTY
@given(argv=st.lists(ONE_LINE, max_size=20), extra=st.dictionaries(KEY, ONE_LINE, max_size=5))
def test_argv_is_the_numbered_arguments_in_order(argv, extra):
    env = {k: v for k, v in extra.items() if not k.startswith("agi_arg_")}
    env.update({f"agi_arg_{i}": v for i, v in enumerate(argv, 1)})
    assert argv_of(env) == argv
