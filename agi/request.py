"""What an AGI handler receives: the channel, the call's facts, a DB session and a logger.

Handlers stay small when everything they need about one call is on one
object; the server builds it, the handler only reads and acts.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.orm import Session

from agi.session import AgiSession

_UNKNOWN = "unknown"   # what Asterisk puts in agi_callerid / agi_dnid when there is none


class CallLogAdapter(logging.LoggerAdapter):
    """Prefixes every message with the call's uniqueid, so one call's lines can be grepped."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        uniqueid = self.extra.get("uniqueid") or "-"
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}
        return f"[{uniqueid}] {msg}", kwargs


def build_logging_adapter(uniqueid: str, logger: logging.Logger | str = "agi.call") -> CallLogAdapter:
    """A logger for one call; ``extra={'uniqueid': ...}`` is also set for structured formatters."""
    if isinstance(logger, str):
        logger = logging.getLogger(logger)
    return CallLogAdapter(logger, {"uniqueid": uniqueid})


def split_script(network_script: str) -> tuple[str, dict[str, str]]:
    """``"inbound?x=1"`` or ``"agi://127.0.0.1:4573/inbound/?x=1"`` → ``("inbound", {"x": "1"})``.

    Asterisk passes everything after the host's ``/`` in ``agi_network_script``;
    a full URL (``agi_request``) is accepted too.  A repeated key keeps its last value.
    """
    if "://" in network_script:
        parts = urlsplit(network_script)
        path, query = parts.path, parts.query
    else:
        path, _, query = network_script.partition("?")
    args = dict(parse_qsl(query, keep_blank_values=True))
    return path.strip("/"), args


def script_of(env: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Script name and query args of a FastAGI environment ("" when it names none)."""
    return split_script(env.get("agi_network_script") or env.get("agi_request") or "")


def argv_of(env: Mapping[str, str]) -> list[str]:
    """``agi_arg_1..n`` in order: the comma-separated arguments of ``AGI(url,a,b)``."""
    argv = []
    while (value := env.get(f"agi_arg_{len(argv) + 1}")) is not None:
        argv.append(value)
    return argv


class AgiRequest:
    """One AGI request (one ``AGI()`` call in the dialplan).

    ``session`` is one database transaction: the server commits it when the
    handler returns and rolls it back when the handler raises, hangups
    included.  A handler that must keep some work even if the caller hangs up
    later calls ``request.session.commit()`` itself before the long command.
    """

    def __init__(self, agi: AgiSession, session: Session, log: logging.LoggerAdapter | None = None):
        self.agi = agi
        self.env: dict[str, str] = agi.env
        self.script, self.args = script_of(self.env)
        self.argv = argv_of(self.env)
        self.session = session
        self.log = log if log is not None else build_logging_adapter(self.uniqueid)

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def caller(self) -> str:
        """The caller's number; "" when Asterisk has none (it sends "unknown")."""
        value = self.env.get("agi_callerid", "")
        return "" if value == _UNKNOWN else value

    @property
    def dialed_number(self) -> str:
        """The number the citizen dialed (DNID), else the extension the dialplan matched."""
        dnid = self.env.get("agi_dnid", "")
        if dnid and dnid != _UNKNOWN:
            return dnid
        return self.env.get("agi_extension", "")

    def set_variable(self, name: str, value: object) -> None:
        self.agi.set_variable(name, value)

    def get_variable(self, name: str, default: str | None = None) -> str | None:
        """The channel variable's value; ``default`` when it is not set at all."""
        value = self.agi.get_variable_or_none(name)
        return default if value is None else value

    def __repr__(self) -> str:
        return f"<AgiRequest {self.script!r} uniqueid={self.uniqueid!r} caller={self.caller!r}>"
