"""Real calls to the phone self-service: the progress query (工单查询, key 2 on the 12345 menu) and the
social-security contributions (社保缴费查询, key 2 on the 12333 self-service menu), DTMF from `hotline call --dtmf`.

Each progress test writes its own tickets (numbers of its own), calls, and reads the call record and
the ticket_queries rows: what was queried, whether it was read out, and where the call ended.
The contributions tests ask the demo department system (the `department` service, as `hotline up`
starts it) and read what Asterisk played from the PBX log; the last test checks that no ID number
or PIN keyed in this module was written anywhere in the run folder.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import time

import httpx
import pytest

from db.models import Call, Ticket, TicketQuery, TicketState
from tests.support.progress_tickets import add_ticket, queries_of

pytestmark = pytest.mark.asterisk

DUE = dt.datetime(2026, 12, 18, 9, 30)     # UTC; 17:30 on 18 December in the centre
W = "w" * 4                                # 2 s: the progress AGI answers the menu's key


def test_own_number_hears_its_open_and_recently_answered_tickets_and_is_self_served(hotline):
    caller = "13800001001"
    add_ticket(hotline.session_factory(), "GD20261130900101", caller_phone=caller, state=TicketState.accepted,
               department_code="rsj", due=DUE)
    add_ticket(hotline.session_factory(), "GD20261129900102", caller_phone=caller, state=TicketState.replied,
               department_code="rsj", replied_at=dt.datetime.utcnow() - dt.timedelta(days=1), age_days=9)
    add_ticket(hotline.session_factory(), "GD20261001900103", caller_phone=caller, state=TicketState.closed,
               replied_at=dt.datetime(2026, 10, 2), age_days=60)   # answered long ago: not read
    # "2" interrupts the menu; both tickets are read (~25 s); the caller hangs up at the "1 / 0" question
    record = hotline.call("12345", "--from", caller, "--dtmf", "2", "--dtmf-delay", "1", "--hangup-after", "32")
    assert record["ivr_path"] == "2"
    assert record["outcome"] == "self_served" and record["agent"] is None
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [
        ("GD20261130900101", "caller_id", True), ("GD20261129900102", "caller_id", True)]
    assert record["ticket_queries"] == [   # what `hotline call` prints (calls/report.py)
        {"ticket": "GD20261130900101", "found_by": "caller_id", "granted": True, "wrong_codes": 0},
        {"ticket": "GD20261129900102", "found_by": "caller_id", "granted": True, "wrong_codes": 0}]


def test_withheld_number_keys_the_ticket_number_then_asks_for_an_agent(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900201", caller_phone="13800001002",
               state=TicketState.dispatched, department_code="rsj", due=DUE)
    # a withheld number is never matched: it is asked for the number at once; then "0" → an agent
    record = hotline.call("12345", "--from", "anonymous", "--dtmf", f"2{W}20261130900201#{'w' * 36}0",
                          "--dtmf-delay", "1", "--hangup-after", "8")
    assert record["ivr_path"] == "2"
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900201", "keyed", True)]
    assert record["outcome"] == "answered" and record["queue"] == "12345" and record["agent"] is not None


def test_confidential_ticket_is_read_after_its_query_code(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900301", caller_phone="13800001003",
               state=TicketState.accepted, department_code="rsj", due=DUE, confidential=True, query_code="4821")
    record = hotline.call("12345", "--from", "13900001003", "--dtmf", f"2{W}{W}{W}20261130900301#{W}4821#",
                          "--dtmf-delay", "1", "--hangup-after", "19")
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900301", "keyed", True)]
    assert record["outcome"] == "self_served"


def test_confidential_ticket_without_its_code_is_not_read_and_an_agent_answers(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900401", caller_phone="13800001004",
               state=TicketState.accepted, department_code="rsj", due=DUE, confidential=True, query_code="4821")
    record = hotline.call("12345", "--from", "13900001004",
                          "--dtmf", f"2{W}{W}{W}20261130900401#{W}1111#{W}{W}2222#", "--dtmf-delay", "1",
                          "--hangup-after", "10")
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900401", "keyed", False)]
    assert record["ticket_queries"] == [{"ticket": "GD20261130900401", "found_by": "keyed", "granted": False,
                                         "wrong_codes": 2}]
    assert record["outcome"] == "answered" and record["agent"] is not None


def test_wrong_digits_get_one_retry_then_an_agent(hotline):
    record = hotline.call("12345", "--from", "anonymous", "--dtmf", f"2{W}123#{W}{W}{W}20261130999999#",
                          "--dtmf-delay", "1", "--hangup-after", "10")
    assert record["ivr_path"] == "2"
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == []
    assert record["outcome"] == "answered" and record["queue"] == "12345" and record["agent"] is not None


def test_after_three_wrong_codes_in_a_day_a_number_may_key_no_more_codes(hotline):
    caller = "13900001006"
    add_ticket(hotline.session_factory(), "GD20261130900601", caller_phone="13800001006",
               state=TicketState.accepted, department_code="rsj", due=DUE, confidential=True, query_code="4821")
    with hotline.session_factory()() as s:   # earlier today, from this number: two wrong codes on another call
        call = Call(uniqueid="earlier-13900001006", caller=caller, dialed_number="12345")
        s.add(call)
        s.flush()
        ticket = s.query(Ticket).filter_by(number="GD20261130900601").one()
        s.add(TicketQuery(call_id=call.id, ticket_id=ticket.id, ticket_number=ticket.number, found_by="keyed",
                          granted=False, wrong_codes=2))
        s.commit()
    # the third wrong code: told so at once, and an agent (no second try)
    record = hotline.call("12345", "--from", caller, "--dtmf", f"2{W}{W}{W}20261130900601#{W}1111#",
                          "--dtmf-delay", "1", "--hangup-after", "16")
    assert record["ticket_queries"] == [{"ticket": "GD20261130900601", "found_by": "keyed", "granted": False,
                                         "wrong_codes": 1}]
    assert record["outcome"] == "answered" and record["agent"] is not None
    played = [line for line in hotline.pbx_call_log(record["uniqueid"]) if "Playing '" in line]
    assert any("'hotline/progress-code-limit." in line for line in played), played
    assert not any("'hotline/progress-wrong-code." in line for line in played), played
    # later that day the right code is not even asked for
    record = hotline.call("12345", "--from", caller, "--dtmf", f"2{W}{W}{W}20261130900601#{W}4821#",
                          "--dtmf-delay", "1", "--hangup-after", "12")
    assert record["ticket_queries"] == [{"ticket": "GD20261130900601", "found_by": "keyed", "granted": False,
                                         "wrong_codes": 0}]
    assert record["outcome"] == "answered" and record["agent"] is not None
    played = [line for line in hotline.pbx_call_log(record["uniqueid"]) if "Playing '" in line]
    assert any("'hotline/progress-code-limit." in line for line in played), played
    assert not any("'hotline/progress-enter-code." in line for line in played), played


# --- social-security contributions on 12333 (社保缴费查询, agi/handlers/contributions.py) ---------------
ID_X, PIN_X = "37010219850315002X", "246810"     # selfservice/demo_department.py DEMO_RECORDS
ID_KEYS = ID_X[:-1] + "*"                        # the X keyed as '*'
WRONG_PIN = "975318"
MENU = "8.5"                                     # the 12333 greeting (not interruptible), then its menu
ENTRY = f"2{W}{ID_KEYS}#{W}"                     # key 2, the ID number, then the PIN prompt


@pytest.fixture(scope="module")
def department(hotline):
    """The demo department system, started as `hotline up` starts it (supervisord); yields its URL."""
    hotline.start_service("department")
    yield f"http://127.0.0.1:{hotline.settings.ports.demo_department}"


def digits_said(lines: list[str]) -> list[str]:
    return [line.split("Playing '")[1].split(".")[0] for line in lines if "Playing 'digits/" in line]


def played_prompts(lines: list[str]) -> list[str]:
    return [line.split("Playing 'hotline/")[1].split(".")[0] for line in lines if "Playing 'hotline/" in line]


def test_contributions_are_read_back_in_mandarin_and_the_call_is_self_served(hotline, department):
    record = hotline.call("12333", "--from", "13800002001", "--dtmf", f"{ENTRY}{PIN_X}#", "--dtmf-delay", MENU,
                          "--hangup-after", "24")
    assert record["line"]["number"] == "12333" and record["ivr_path"] == "2"
    assert record["outcome"] == "self_served" and record["agent"] is None and record["queue"] is None
    log = hotline.pbx_call_log(record["uniqueid"])
    prompts = played_prompts(log)
    assert prompts[prompts.index("contrib-record"):] == [
        "contrib-record", "contrib-months-paid", "contrib-months", "contrib-last-month", "contrib-year",
        "progress-month", "contrib-balance", "contrib-yuan", "contrib-next"], prompts
    # 一百四十三 个月，二〇二六 年 十 月，八万一千二百七十五 元 (Mandarin SAY NUMBER / SAY DIGITS)
    assert digits_said(log) == [
        "digits/1", "digits/hundred", "digits/40", "digits/3",
        "digits/2", "digits/0", "digits/2", "digits/6",
        "digits/10",
        "digits/8", "digits/wan", "digits/1", "digits/thousand", "digits/2", "digits/hundred", "digits/70",
        "digits/5"], digits_said(log)


def test_on_an_english_line_the_figures_are_read_in_english(hotline, department):
    from agi.config_snapshot import TTL
    from db.models import Line

    def set_language(language: str) -> None:
        with hotline.session_factory()() as s:
            s.query(Line).filter_by(number="12333").one().language = language
            s.commit()
    set_language("en")
    try:
        time.sleep(TTL + 0.5)   # the AGI server's configuration snapshot expires after TTL (agi/config_snapshot.py)
        record = hotline.call("12333", "--from", "13800002006", "--dtmf", f"{ENTRY}{PIN_X}#", "--dtmf-delay", MENU,
                              "--hangup-after", "32")   # mid-way through "press 0, or hang up"
    finally:
        set_language("zh")
    assert record["language"] == "en" and record["ivr_path"] == "2" and record["outcome"] == "self_served"
    log = hotline.pbx_call_log(record["uniqueid"])
    prompts = played_prompts(log)
    assert prompts[prompts.index("contrib-record"):] == [
        "contrib-record", "contrib-months-paid", "contrib-months", "contrib-last-month", "contrib-balance",
        "contrib-yuan", "contrib-next"], prompts
    assert all("(language 'en')" in line for line in log if "Playing 'hotline/contrib-" in line)
    # one hundred forty three; October two thousand twenty six; eighty one thousand two hundred seventy five
    assert digits_said(log) == [
        "digits/1", "digits/hundred", "digits/40", "digits/3",
        "digits/mon-9", "digits/2", "digits/thousand", "digits/20", "digits/6",
        "digits/80", "digits/1", "digits/thousand", "digits/2", "digits/hundred", "digits/70", "digits/5",
    ], digits_said(log)


def test_a_wrong_pin_gets_one_retry_and_then_the_figures(hotline, department):
    retry = "w" * 22   # "checking…" (~3 s), "not correct, key them again" (~6 s), then the ID number prompt
    record = hotline.call("12333", "--from", "13800002002",
                          "--dtmf", f"{ENTRY}{WRONG_PIN}#{retry}{ID_KEYS}#{W}{PIN_X}#",
                          "--dtmf-delay", MENU, "--hangup-after", "24")
    assert record["ivr_path"] == "2" and record["outcome"] == "self_served"
    prompts = played_prompts(hotline.pbx_call_log(record["uniqueid"]))
    assert prompts.count("contrib-enter-id") == 2 and prompts.count("contrib-no-match") == 1, prompts
    assert "contrib-record" in prompts and "contrib-no-match-agent" not in prompts


def test_a_wrong_pin_twice_reaches_an_agent(hotline, department):
    retry = "w" * 22
    record = hotline.call("12333", "--from", "13800002003",
                          "--dtmf", f"{ENTRY}{WRONG_PIN}#{retry}{ID_KEYS}#{W}{WRONG_PIN}#",
                          "--dtmf-delay", MENU, "--hangup-after", "22")
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"
    prompts = played_prompts(hotline.pbx_call_log(record["uniqueid"]))
    assert "contrib-no-match-agent" in prompts and "contrib-record" not in prompts


def test_a_slow_department_system_means_an_agent(hotline, department):
    httpx.post(f"{department}/control/delay", json={"seconds": 3}).raise_for_status()   # above the 2 s timeout
    try:
        record = hotline.call("12333", "--from", "13800002004", "--dtmf", f"{ENTRY}{PIN_X}#", "--dtmf-delay", MENU,
                              "--hangup-after", "20")
    finally:
        httpx.post(f"{department}/control/delay", json={"seconds": 0}).raise_for_status()
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"
    prompts = played_prompts(hotline.pbx_call_log(record["uniqueid"]))
    assert "self-service-unavailable" in prompts and "contrib-record" not in prompts
    assert "department system unavailable (slow)" in hotline.agi_log()


def test_a_department_system_that_is_down_means_an_agent(hotline, department):
    hotline.stop_service("department")
    try:
        record = hotline.call("12333", "--from", "13800002005", "--dtmf", f"{ENTRY}{PIN_X}#", "--dtmf-delay", MENU,
                              "--hangup-after", "20")
    finally:
        hotline.start_service("department")
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"
    prompts = played_prompts(hotline.pbx_call_log(record["uniqueid"]))
    assert "self-service-unavailable" in prompts and "contrib-record" not in prompts
    assert "department system unavailable (down)" in hotline.agi_log()


def files_holding(paths: list[str], needles) -> list[tuple[str, str]]:
    """(path, needle) for every file holding a needle, searched by a child process (grep). Not read here:
    this process has the hotline's SQLite database open, and opening and closing any of its files
    (``hotline.db``, ``-wal``, ``-shm``) in this process drops every POSIX lock SQLite holds on them; a
    writer in another process then takes the database as its alone (checkpoints, deletes the WAL) and
    this process's later commits are lost or corrupt the file (SQLite's "How To Corrupt", 2.2)."""
    found = []
    for needle in needles:
        done = subprocess.run(["grep", "-lF", "-e", needle, "--", *paths], capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr       # 1: no file holds it
        found += [(path, needle) for path in done.stdout.splitlines()]
    return found


def test_no_id_number_or_pin_is_written_anywhere_in_the_run_folder(hotline, department):
    """Logs (AGI, services, supervisord, the PBX's Asterisk log, CDR, queue_log) and the database."""
    secrets = (ID_X, ID_KEYS, ID_X[:-1], PIN_X, WRONG_PIN)
    carrier = hotline.carrier.base_dir.resolve()
    searched = [str(path) for path in hotline.settings.run_dir.rglob("*")
                if path.is_file() and not path.is_symlink() and path.suffix not in (".wav", ".gsm", ".sln", ".ulaw")
                # the simulated citizen's handset: it logs the SendDTMF() it is told to send
                and not path.resolve().is_relative_to(carrier)]
    assert len(searched) > 10 and any(p.endswith("hotline.db") for p in searched)
    assert files_holding(searched, secrets) == []
    # the search does find the keys where they are: the handset's own log
    handset = str(hotline.carrier.base_dir / "log" / "messages")
    assert files_holding([handset], (ID_KEYS, PIN_X)) == [(handset, ID_KEYS), (handset, PIN_X)]
