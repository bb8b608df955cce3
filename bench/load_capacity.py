#!/usr/bin/env python3
"""Capacity of one node (issue #9): a throw-away installation on the real Asterisk under `hotline load`.

    HOTLINE_TEST_PORT_OFFSET=4800 .venv/bin/python bench/load_capacity.py \\
        --rate 4 --seconds 90 --agents 100 --talk 30-150 --patience 30 --patience-min 10 \\
        --wallboards 200 --agent-screens 100 [--database-url postgresql+psycopg://...]

Starts the hotline as the integration tests do (tests/support/telephony.start_hotline: PBX +
carrier simulator + FastAGI, own run folder, Redis prefix and port block) with the load trunk
(HOTLINE_LOAD_TRUNK_PORT) and AGI timing on, the panel as `hotline web serve` runs it and the
AMI listener (live state, the wallboard's pushes), logs the
demo agents out of the queue, then runs `hotline load run` with the arguments given and prints
its JSON report. Everything it starts is stopped at the end.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args, load_args = parser.parse_known_args()

    from hotline.config import PROJECT_DIR
    from queue_logic.agent_sessions import logout_direct
    from queue_logic.directory import load_directory
    from tests.support.telephony import TEST_PORT_OFFSET, start_hotline, stop_hotline

    run_dir = Path(tempfile.mkdtemp(prefix="hotline-capacity-"))
    hotline = start_hotline(run_dir, database_url=args.database_url, extra_env={
        "HOTLINE_LOAD_TRUNK_PORT": str(5080 + TEST_PORT_OFFSET), "HOTLINE_AGI_TIMING": "1",
        "HOTLINE_SOFTPHONES": "1001,1002,1003,1004"})
    try:
        hotline.start_service("web")
        hotline.start_service("ami")     # the AMI listener: live state and the wallboard's pushes
        with hotline.session_factory()() as session:
            demo = [a for n, a in load_directory(session).agents.items() if n in {"1001", "1002", "1003", "1004"}]
        with hotline.pbx_ami() as ami:
            logout_direct(ami, demo)
        env = {**hotline.env, "HOTLINE_LOAD_SUPERVISOR_PASSWORD": hotline.passwords["supervisor"],
               "HOTLINE_LOAD_AGENT_PASSWORD": hotline.passwords["agent1001"]}
        web = f"http://127.0.0.1:{hotline.settings.ports.web}"
        done = subprocess.run([sys.executable, "-m", "ops.cli", "load", "run", *load_args, "--web", web,
                               "--supervisor", "supervisor", "--agent-user", "agent1001"],
                              env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=1800)
        sys.stderr.write(done.stderr[-4000:])
        print(done.stdout)
    finally:
        stop_hotline(hotline)


if __name__ == "__main__":
    main()
