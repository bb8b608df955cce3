"""Faults on the call path, on the real Asterisk: dead calls end, a failing database keeps
the caller and the record, odd numbers and unknown queues reach the 12345 flow."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.orm import joinedload

from db.models import Call, CallOutcome
from ops.asterisk.render import CALL_LIMITS
from tests.support import sipp
from tests.support.telephony import TEST_PORT_OFFSET
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

SIPP_PORT = 5090    # sipp's own SIP and media ports, moved by the test port offset like the project's
SIPP_MEDIA = 14000
# The carrier is identified by its address and port (the SIP edge), so the test's sipp citizens come in
# through the load trunk: the carrier's context and dead-call rules, identified by sipp's own port.
HOTLINE_ENV = {"HOTLINE_LOAD_TRUNK_PORT": str(SIPP_PORT + TEST_PORT_OFFSET)}
OWN_HOTLINE = True    # its own load-trunk port; locks the database and stops the FastAGI server under calls


def _call_of(hotline, caller: str) -> Call | None:
    with hotline.session_factory()() as session:
        return (session.query(Call).options(joinedload(Call.agent), joinedload(Call.line))
                .filter_by(caller=caller).order_by(Call.id.desc()).first())


def _sipp_ports(hotline, n: int = 0) -> dict:
    offset = hotline.settings.port_offset
    return {"local_port": SIPP_PORT + offset, "media_port": SIPP_MEDIA + offset + 10 * n}


def _member_free(hotline, sip_username: str) -> bool:
    with hotline.pbx_ami() as ami:
        members = [e for e in ami.action_list("QueueStatus", Queue="12345") if e.get("Event") == "QueueMember"]
    mine = [m for m in members if sip_username in m.get("StateInterface", "") + m.get("Location", "")]
    return bool(mine) and all(m.get("InCall") == "0" and m.get("Status") == "1" for m in mine)


def _pbx_channels_of(hotline, caller: str) -> list[dict]:
    with hotline.pbx_ami() as ami:
        return [e for e in ami.action_list("CoreShowChannels")
                if e.get("Event") == "CoreShowChannel" and e.get("CallerIDNum") == caller]


def test_a_citizen_who_vanishes_without_a_bye_is_ended_recorded_and_frees_the_agent(hotline, tmp_path):
    caller = "13900000077"
    call = sipp.call_from_carrier(tmp_path / "sipp", pbx_port=hotline.settings.ports.sip, number="12315",
                                  caller=caller, **_sipp_ports(hotline))
    try:
        answered = wait_for(lambda: (c := _call_of(hotline, caller)) is not None and c.answered_at and c, 30,
                            "an agent answered the sipp call", interval=0.2)
        agent = answered.agent.sip_username
        assert not _member_free(hotline, agent)
    finally:
        call.vanish()                       # the carrier loses the call: no BYE, no more RTP
    gone_at = time.monotonic()
    ended = wait_for(lambda: (c := _call_of(hotline, caller)) is not None and c.ended_at and c, 60,
                     "the PBX ended the dead call and closed its record", interval=0.5)
    took = time.monotonic() - gone_at
    assert took <= 60 and took >= CALL_LIMITS["rtp_timeout"] - 12, took   # ended by the RTP timeout
    assert ended.outcome == CallOutcome.answered and ended.hangup_cause
    assert ended.talk_seconds is not None and ended.talk_seconds > 0
    assert _pbx_channels_of(hotline, caller) == []
    wait_for(lambda: _member_free(hotline, agent), 10, f"{agent} free again in QueueStatus", interval=0.2)
    assert ended.hangup_cause == "44"     # the PBX hung the silent leg up (REQUESTED_CHAN_UNAVAIL)


def test_a_quiet_call_that_is_still_there_is_not_cut(hotline):
    """The simulated citizen says nothing (Wait()), but its phone keeps sending RTP keepalives, as a
    live carrier leg does: the RTP timeout must not end it."""
    hold = CALL_LIMITS["rtp_timeout"] + 10
    record = hotline.call("12315", "--from", "13900000701", "--hangup-after", str(hold))
    assert record["outcome"] == "answered" and record["hangup_cause"] == "16"
    assert record["talk_seconds"] > CALL_LIMITS["rtp_timeout"]


def test_a_line_s_longest_call_limit_ends_the_call_with_that_cause(hotline):
    from agi import config_snapshot
    from db.models import Line

    with hotline.session_factory()() as session:
        session.query(Line).filter_by(number="12315").one().max_call_seconds = 9
        session.commit()
    time.sleep(config_snapshot.TTL + 0.2)
    try:
        record = hotline.call("12315", "--from", "13900000501", "--hangup-after", "30")
    finally:
        with hotline.session_factory()() as session:
            session.query(Line).filter_by(number="12315").one().max_call_seconds = None
            session.commit()
        time.sleep(config_snapshot.TTL + 0.2)
    assert record["outcome"] == "answered" and record["hangup_cause"] == "max_duration"
    with hotline.session_factory()() as session:
        call = session.query(Call).filter_by(uniqueid=record["uniqueid"]).one()
        assert 8 <= (call.ended_at - call.arrived_at).total_seconds() < 11


def test_stale_closing_leaves_a_call_the_pbx_still_carries_and_marks_a_vanished_one_unknown(hotline):
    import datetime as dt

    from calls.jobs import close_stale_calls, live_uniqueids
    from db.session import utcnow

    result: dict = {}
    talking = threading.Thread(target=lambda: result.update(
        record=hotline.call("12315", "--from", "13900000601", "--hangup-after", "12")))
    talking.start()
    live = wait_for(lambda: (c := _call_of(hotline, "13900000601")) is not None and c.answered_at and c, 20,
                    "the live call answered", interval=0.1)
    long_ago = utcnow() - dt.timedelta(hours=7)
    with hotline.session_factory()() as session:
        session.query(Call).filter_by(uniqueid=live.uniqueid).one().arrived_at = long_ago   # looks stale
        session.add(Call(uniqueid="vanished-1", caller="13900000602", arrived_at=long_ago))
        session.commit()
    up = live_uniqueids(hotline.settings)
    assert live.uniqueid in up and "vanished-1" not in up
    assert close_stale_calls(hotline.settings.database_url, still_up=up.__contains__) == 1
    talking.join(40)
    assert result["record"]["outcome"] == "answered"       # closed by its own hang-up, not by the job
    vanished = _call_of(hotline, "13900000602")
    assert vanished.outcome == CallOutcome.unknown and vanished.ended_at is None

    # the same call as if its hang-up had never reached Python: the PBX's CDR has its real end
    from calls.cdr import cdr_file, channel_ends

    with hotline.session_factory()() as session:
        row = session.query(Call).filter_by(uniqueid=live.uniqueid).one()
        real_end = row.ended_at
        row.ended_at, row.outcome, row.talk_seconds, row.hangup_cause = None, None, None, None
        session.commit()
    path = cdr_file(hotline.settings)
    wait_for(lambda: live.uniqueid in channel_ends(path, [live.uniqueid]), 10, "the call's CDR written",
             interval=0.2)
    assert close_stale_calls(hotline.settings.database_url, still_up=live_uniqueids(hotline.settings).__contains__,
                             real_ends=lambda ids: channel_ends(path, ids)) == 1
    closed = _call_of(hotline, "13900000601")
    assert closed.outcome == CallOutcome.answered and closed.hangup_cause == "stale"
    assert abs((closed.ended_at - real_end).total_seconds()) < 1.0     # Asterisk's end, not a guess


def test_the_pbx_writes_a_new_cdr_file_after_rotation_and_both_parts_are_read(hotline):
    from calls.cdr import cdr_file, channel_ends, rotate
    from db.session import utcnow

    path = cdr_file(hotline.settings)
    first = hotline.call("12315", "--from", "13900000611", "--hangup-after", "2")
    wait_for(lambda: first["uniqueid"] in channel_ends(path, [first["uniqueid"]]), 10, "the first CDR", interval=0.2)
    rotate(path, utcnow())
    assert not path.exists() and list(path.parent.glob("Master-*.csv"))
    second = hotline.call("12315", "--from", "13900000612", "--hangup-after", "2")
    wait_for(lambda: path.exists() and second["uniqueid"] in path.read_text(), 10,
             "Asterisk writing the next CDR into a new Master.csv", interval=0.2)
    assert first["uniqueid"] not in path.read_text()
    assert set(channel_ends(path, [first["uniqueid"], second["uniqueid"]])) == {first["uniqueid"], second["uniqueid"]}


# --- the database locked while calls are in progress -----------------------------------------------
class SqliteWriteLock:
    """A long write transaction held by the test: every other writer meets SQLite's lock."""

    def __init__(self, url: str):
        self.path = url.split("sqlite:///", 1)[1]
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> "SqliteWriteLock":
        self.conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def _parked(hotline) -> dict[str, str]:
    with hotline.pbx_ami() as ami:
        return {e["Key"].rsplit("/", 1)[-1]: e.get("Val", "")
                for e in ami.action_list("DBGetTree", Family="hotline_unrecorded")
                if e.get("Event") == "DBGetTreeResponse"}


def _originate(hotline, number: str, caller: str, hangup_after: float, dtmf: str = "") -> str:
    from ops.citizen_call import CitizenCall, originate

    with hotline.carrier_ami() as ami:
        return originate(ami, CitizenCall(number=number, caller=caller, hangup_after=hangup_after, dtmf=dtmf,
                                          dtmf_delay=1), f"fault-{caller}")


def _events_until_hangup(hotline, caller: str, timeout: float) -> list[dict]:
    """The PBX's Newexten events of ``caller``'s call until its carrier leg hangs up."""
    seen: list[dict] = []
    with hotline.pbx_ami() as ami:
        def done(m):
            if m.get("CallerIDNum") == caller and m.get("Event") == "Newexten":
                seen.append({**m, "at": time.monotonic()})
            return m.get("Event") == "Hangup" and m.get("CallerIDNum") == caller \
                and m.get("Channel", "").startswith("PJSIP/carrier")
        assert ami.wait_event(done, timeout) is not None, f"the call of {caller} did not end"
    return seen


def test_hangup_while_sqlite_is_locked_parks_the_facts_and_the_record_is_written_later(hotline):
    """Inbound succeeds, the hangup AGI meets a locked database: AGISTATUS is SUCCESS but
    HOTLINE_AGI_ERROR is set, so the dialplan parks the facts; once the lock is gone the job writes
    an honest record (queue, answer, wait, talk) and nothing is lost."""
    from calls.unrecorded import reconcile

    caller = "13900000101"
    result: dict = {}
    watcher = threading.Thread(target=lambda: result.update(events=_events_until_hangup(hotline, caller, 40)))
    watcher.start()
    _originate(hotline, "12315", caller, hangup_after=10)   # after its ~4 s greeting
    wait_for(lambda: (c := _call_of(hotline, caller)) is not None and c.answered_at, 20,
             "an agent answered", interval=0.1)
    with SqliteWriteLock(hotline.settings.database_url):
        watcher.join(40)
        parked = wait_for(lambda: _parked(hotline), 10, "the call's facts parked in AstDB", interval=0.2)
        assert _call_of(hotline, caller).ended_at is None           # the hangup AGI could not write
    assert len(parked) == 1
    assert reconcile(hotline.settings, hotline.session_factory()) == 1
    assert reconcile(hotline.settings, hotline.session_factory()) == 0
    call = _call_of(hotline, caller)
    assert call.ended_at is not None and call.outcome == CallOutcome.answered     # Python saw it: not "fallback"
    assert call.queue_name == "12345" and call.agent is not None
    assert call.wait_seconds is not None and 0.5 <= call.wait_seconds < 3
    assert call.talk_seconds is not None and call.talk_seconds > 1
    assert call.line.number == "12315" and call.hangup_cause


def test_a_call_arriving_while_sqlite_is_locked_reaches_an_agent_within_a_second_and_is_recorded(hotline):
    """The inbound AGI gives up after ~1 s, the dialplan's fallback queues the caller; the hangup
    AGI fails too; the parked facts become a fallback record with queue, answer, wait and talk."""
    from calls.unrecorded import reconcile

    caller = "13900000102"
    with SqliteWriteLock(hotline.settings.database_url):
        result: dict = {}
        watcher = threading.Thread(target=lambda: result.update(events=_events_until_hangup(hotline, caller, 40)))
        watcher.start()
        _originate(hotline, "12345", caller, hangup_after=5)
        watcher.join(40)
        parked = wait_for(lambda: _parked(hotline), 10, "the call's facts parked in AstDB", interval=0.2)
    events = result["events"]
    inbound_at = next(e["at"] for e in events if e.get("AppData", "").startswith("agi://")
                      and "/inbound" in e.get("AppData", ""))
    fallback_at = next(e["at"] for e in events if e.get("Context") == "hotline-fallback")
    assert fallback_at - inbound_at <= 1.5, fallback_at - inbound_at      # at most ~1 s of silence
    assert len(parked) == 1
    assert reconcile(hotline.settings, hotline.session_factory()) == 1
    call = _call_of(hotline, caller)
    assert call.outcome == CallOutcome.fallback and call.ended_at is not None
    assert call.queue_name == "12345" and call.agent is not None and call.answered_at is not None
    assert call.wait_seconds is not None and 0.5 <= call.wait_seconds < 3
    assert call.talk_seconds is not None and call.talk_seconds > 1


# --- odd dialed numbers, unknown queues, queue changes by reload ----------------------------------------
@pytest.mark.parametrize("dialed", ["s", "7", "abc"])
def test_an_odd_dialed_number_takes_the_12345_flow(hotline, tmp_path, dialed):
    """No number, one digit or letters: answered and in the 12345 flow (not a 404); hung up during
    the greeting menu, the record has no queue and no wait."""
    caller = f"1390000020{len(dialed)}{ord(dialed[0]) % 10}"
    call = sipp.call_from_carrier(tmp_path / "sipp", pbx_port=hotline.settings.ports.sip, number=dialed,
                                  caller=caller, scenario="citizen_hangs_up.xml", hold_ms=2500,
                                  **_sipp_ports(hotline, 1))
    assert call.process.wait(30) == 0, call.output()[-2000:]
    record = wait_for(lambda: (c := _call_of(hotline, caller)) is not None and c.ended_at and c, 10,
                      "the odd call's record closed", interval=0.2)
    assert record.dialed_number == dialed and record.line is None
    assert record.outcome == CallOutcome.abandoned
    assert record.queue_name is None and record.queue_joined_at is None and record.wait_seconds is None
    assert f"{dialed} is not a configured line" in hotline.agi_log()


@pytest.fixture
def ghost_line(hotline):
    """Queue "ghost" and line 12399 → ghost, in the database only (queues.conf not re-rendered)."""
    from agi import config_snapshot
    from db.models import Line, LineMode, Queue

    with hotline.session_factory()() as session:
        session.add(Queue(name="ghost", display_name="ghost", wrapup_seconds=1))
        session.add(Line(number="12399", name="ghost line", mode=LineMode.dual, queue_name="ghost"))
        session.commit()
    time.sleep(config_snapshot.TTL + 0.2)   # the FastAGI server's routing snapshot sees them
    yield
    with hotline.session_factory()() as session:
        session.query(Line).filter_by(number="12399").delete()
        session.query(Queue).filter_by(name="ghost").delete()
        session.commit()


def test_a_queue_asterisk_does_not_know_sends_the_caller_to_12345(hotline, ghost_line):
    from ops.asterisk.reload import known_queues

    assert "ghost" not in known_queues(hotline.pbx)
    record = hotline.call("12399", "--hangup-after", "8")     # after the ~4 s greeting
    assert record["outcome"] == "answered" and record["queue"] == "12345"
    assert record["line"]["number"] == "12399"


def test_a_queue_change_reaches_asterisk_by_reload_and_the_call_in_progress_goes_on(hotline, ghost_line):
    from ops.asterisk.reload import reload_queues

    result: dict = {}
    talking = threading.Thread(target=lambda: result.update(
        record=hotline.call("12315", "--from", "13900000301", "--hangup-after", "14")))
    talking.start()
    wait_for(lambda: (c := _call_of(hotline, "13900000301")) is not None and c.answered_at, 20,
             "the call in progress answered", interval=0.1)
    assert "ghost" in reload_queues(hotline.settings)
    talking.join(40)
    record = result["record"]
    # the reload did not cut it: the citizen hung up after 14 s (greeting ~4 s, ring 1 s, talk the rest)
    assert record["outcome"] == "answered" and record["talk_seconds"] > 5
    # the new queue is live: nobody is a member, so its caller waits there and gives up there
    ghost = hotline.call("12399", "--hangup-after", "7")
    assert ghost["outcome"] == "abandoned" and ghost["queue"] == "ghost"
    # and the agents logged in before the reload still answer
    assert hotline.call("12315", "--hangup-after", "8")["outcome"] == "answered"


# --- PostgreSQL stalled or down behind a proxy the test controls ------------------------------------------
@pytest.fixture
def agi_on_proxied_postgres(hotline):
    """The hotline's FastAGI server, now on a fresh PostgreSQL reached through a TcpProxy."""
    from sqlalchemy.engine import make_url

    from agi.handlers import HANDLERS
    from agi.server import FastAgiServer
    from db.models import Queue
    from db.session import make_engine, make_session_factory
    from tests.support.databases import fresh_postgres_database, migrate_and_seed
    from tests.support.tcp_proxy import TcpProxy

    with fresh_postgres_database() as url:
        migrate_and_seed(url)
        direct = make_session_factory(make_engine(url))
        with direct() as session:
            for queue in session.query(Queue):
                queue.wrapup_seconds = 1
            session.commit()
        proxy = TcpProxy("127.0.0.1", 5432)
        proxied = make_url(url).set(host="127.0.0.1", port=proxy.port, query={}).render_as_string(False)
        engine = make_engine(proxied, call_path=True)
        hotline.stop_service("agi")
        server = FastAgiServer("127.0.0.1", hotline.settings.ports.agi, HANDLERS, make_session_factory(engine))
        server.start_in_thread()
        try:
            yield proxy, direct
        finally:
            server.shutdown()
            engine.dispose()
            proxy.close()
            direct.kw["bind"].dispose()
            hotline.start_service("agi")


def _pg_call(direct, caller: str) -> Call | None:
    with direct() as session:
        return (session.query(Call).options(joinedload(Call.agent), joinedload(Call.line))
                .filter_by(caller=caller).order_by(Call.id.desc()).first())


def test_postgresql_stalling_or_down_in_the_middle_of_calls_loses_no_record(hotline, agi_on_proxied_postgres):
    """A stalled PostgreSQL (frozen proxy) at hang-up, then PostgreSQL down (refused) when a call
    arrives: the callers go on, the facts are parked, and every record is there once it is back."""
    from calls.unrecorded import reconcile

    proxy, direct = agi_on_proxied_postgres
    stalled, refused = "13900000401", "13900000402"

    # 1. answered normally, then the database stalls: the hangup AGI gives up, the facts are parked
    result: dict = {}
    watcher = threading.Thread(target=lambda: result.update(events=_events_until_hangup(hotline, stalled, 40)))
    watcher.start()
    _originate(hotline, "12315", stalled, hangup_after=10)
    wait_for(lambda: (c := _pg_call(direct, stalled)) is not None and c.answered_at, 20, "an agent answered",
             interval=0.1)
    proxy.freeze()
    watcher.join(40)
    wait_for(lambda: len(_parked(hotline)) == 1, 10, "the stalled call's facts parked", interval=0.2)
    assert _pg_call(direct, stalled).ended_at is None

    # 2. PostgreSQL down when the next call arrives: the fallback queue within ~1 s, facts parked
    proxy.cut()
    result.clear()
    watcher = threading.Thread(target=lambda: result.update(events=_events_until_hangup(hotline, refused, 40)))
    watcher.start()
    _originate(hotline, "12345", refused, hangup_after=5)
    watcher.join(40)
    events = result["events"]
    inbound_at = next(e["at"] for e in events if "/inbound" in e.get("AppData", ""))
    fallback_at = next(e["at"] for e in events if e.get("Context") == "hotline-fallback")
    assert fallback_at - inbound_at <= 1.5, fallback_at - inbound_at
    wait_for(lambda: len(_parked(hotline)) == 2, 10, "the refused call's facts parked", interval=0.2)

    # 3. back: every parked call becomes a record, nothing twice
    proxy.heal()
    assert reconcile(hotline.settings, direct) == 2
    assert reconcile(hotline.settings, direct) == 0
    first, second = _pg_call(direct, stalled), _pg_call(direct, refused)
    assert first.outcome == CallOutcome.answered and first.ended_at is not None
    assert first.queue_name == "12345" and first.wait_seconds is not None and first.talk_seconds > 1
    assert second.outcome == CallOutcome.fallback and second.ended_at is not None
    assert second.queue_name == "12345" and second.answered_at is not None and second.talk_seconds > 1
