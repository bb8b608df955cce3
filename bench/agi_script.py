#!/usr/bin/env python3
"""The `inbound` decision hosted the classic way: one process per call, pyst2 over stdin/stdout.

Only for the benchmark's comparison (bench/agi_load.py --per-process): the same
handler code as the FastAGI server runs, so the difference measured is the
hosting — interpreter start, imports, a new database connection per call.
"""
import sys

from asterisk.agi import AGI  # pyst2's classic entry point: reads the environment from stdin

from agi.handlers import HANDLERS
from agi.request import AgiRequest
from db.session import make_engine, make_session_factory, session_scope
from hotline.config import current_settings


def main() -> None:
    agi = AGI()  # main thread: its SIGHUP handler is allowed here
    agi.get_variable_or_none = lambda name: agi.get_variable(name) or None
    script = agi.env.get("agi_network_script") or "inbound"
    factory = make_session_factory(make_engine(current_settings().database_url))
    with session_scope(factory) as session:
        agi.env["agi_network_script"] = script
        HANDLERS[script.split("?")[0]](AgiRequest(agi, session))


if __name__ == "__main__":
    sys.exit(main())
