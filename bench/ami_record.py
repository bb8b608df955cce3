"""Record a real AMI event stream for the listener benchmark (bench/ami_replay.py).

Connects to a running hotline's AMI (as `hotline up` or the test harness runs
it), writes every event for SECONDS as raw AMI text. With ``--scenario`` it
also drives a small real scenario meanwhile — answered calls, an abandoned
call, a pause, a logout/login — so the recording holds the events a busy
centre produces, in Asterisk's own order and wording.

    python bench/ami_record.py bench/ami_events.txt --seconds 40 --scenario
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from hotline.ami import AmiClient
from hotline.config import Settings


def raw(message: dict[str, str]) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in message.items()) + "\r\n"


def scenario(settings: Settings) -> None:
    """Calls and agent actions on the real PBX (run as a thread while recording)."""
    from db.session import make_engine, make_session_factory
    from ops.citizen_call import CitizenCall, place_call
    from queue_logic.agent_sessions import pbx_ami

    sessions = make_session_factory(make_engine(settings.database_url))
    calls = [threading.Thread(target=place_call, args=(settings, sessions, CitizenCall(n, hangup_after=h)))
             for n, h in (("12315", 9), ("12319", 14), ("12320", 8), ("12315", 12))]
    for c in calls:
        c.start()
        time.sleep(1.5)
    with pbx_ami(settings) as ami:
        ami.action("QueuePause", Interface="PJSIP/agent1004", Paused="true", Reason="break")
        time.sleep(1)
        ami.action("QueuePause", Interface="PJSIP/agent1004", Paused="false")
        ami.action("QueueRemove", Queue="english", Interface="PJSIP/agent1004")
        ami.action("QueueAdd", Queue="english", Interface="PJSIP/agent1004", Penalty="0",
                   MemberName="1004 Emma Liu 刘艾玛", StateInterface="PJSIP/agent1004")
    for c in calls:
        c.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--scenario", action="store_true", help="place calls and pause/login agents meanwhile")
    args = parser.parse_args()
    settings = Settings.from_env()
    count = 0
    with AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("cli")) as ami, \
            open(args.output, "w", encoding="utf-8") as out:
        out.write(f"# AMI events recorded from Asterisk by bench/ami_record.py, {time.strftime('%Y-%m-%d')}\r\n\r\n")
        driver = threading.Thread(target=scenario, args=(settings,), daemon=True) if args.scenario else None
        if driver:
            driver.start()
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            message = ami._read_message(timeout=0.5)
            if message and "Event" in message:
                out.write(raw(message))
                count += 1
    print(f"{count} events written to {args.output}")


if __name__ == "__main__":
    main()
