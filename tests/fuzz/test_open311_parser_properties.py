"""Property tests of the Open311 request parser (tickets/open311.py) and the edge's form decoding (web/edge.py).

Any POST parameters give intake data and errors named by Open311 parameters, never an exception; any text
posted as a form in UTF-8, GBK or GB18030, raw or percent-encoded, is read back exactly.
"""
from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from tests.fuzz.budget import PROPERTY
from tickets import open311 as o311
from web.edge import EdgeRequest

PARAMETERS = ["service_code", "lat", "long", "address_string", "address_id", "description", "media_url",
              "first_name", "last_name", "phone", "email", "attribute[category]", "attribute[district]",
              "attribute[confidential]", "attribute[public]", "api_key", "device_id"]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
FORM = st.dictionaries(st.sampled_from(PARAMETERS) | TEXT, TEXT, max_size=12)
KNOWN_ERRORS = set(o311.PARAMETER_OF.values()) | {"service_code", "location", "address_id"}


@PROPERTY
@given(form=FORM, channel=st.sampled_from(["web", "sms", "wechat", "mailbox"]))
def test_any_parameters_give_data_and_named_errors(form, channel):
    data, errors = o311.draft_from_request(form, channel)
    assert set(errors) <= KNOWN_ERRORS, errors
    assert data["channel"] == channel and isinstance(data["public"], bool)
    assert ("service_code" in errors) == (not form.get("service_code"))
    assert data["description"] == data["description"].strip()
    assert data["caller_name"] is None or data["caller_name"] == data["caller_name"].strip()


def raw(value: str) -> str:
    """The value as a gateway sends it unencoded: only the form's own separators escaped."""
    for char in "%&=+":
        value = value.replace(char, quote(char, safe=""))
    return value


@PROPERTY
@given(form=st.dictionaries(st.sampled_from(PARAMETERS), TEXT, min_size=1, max_size=8),
       charset=st.sampled_from(["utf-8", "GBK", "gb2312", "GB18030"]), percent=st.booleans())
def test_form_bodies_are_read_back_in_any_declared_charset(form, charset, percent):
    codec = "utf-8" if charset == "utf-8" else "gb18030"
    if percent:
        body = "&".join(f"{quote(k)}={quote(v, encoding=codec)}" for k, v in form.items()).encode("ascii")
    else:  # raw bytes, only the separators escaped
        body = "&".join(f"{quote(k)}={raw(v)}" for k, v in form.items()).encode(codec)
    environ = EnvironBuilder(method="POST", data=body,
                             content_type=f"application/x-www-form-urlencoded; charset={charset}").get_environ()
    assert EdgeRequest(environ).form.to_dict() == form
