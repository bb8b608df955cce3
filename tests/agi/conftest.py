"""A fake Asterisk speaking FastAGI over real TCP, a real SQLite database, and server fixtures."""
from __future__ import annotations

import itertools
import socket
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import sessionmaker

from agi.server import FastAgiServer
from tests.support.waiting import wait_for

# --- the fake Asterisk ---------------------------------------------------------

DEAD_CHANNEL = "511 Command Not Permitted on a dead channel or intercept routine"
_uniqueids = itertools.count(1)


def parse_agi_args(line: str) -> list[str]:
    """Split a command line like res_agi.c's parse_args(): quotes group, backslash escapes."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if escaped:
            current = (current or []) + [ch]
            escaped = False
        elif ch == "\\":
            escaped = True
            current = current if current is not None else []
        elif ch == '"':
            quoted = not quoted
            current = current if current is not None else []
        elif ch in " \t" and not quoted:
            if current is not None:
                args.append("".join(current))
                current = None
        else:
            current = (current or []) + [ch]
    if current is not None:
        args.append("".join(current))
    return args


class FakeChannel:
    """The Asterisk side of one FastAGI connection: sends the env, answers commands like a live channel.

    ``hangup_on``: when a command starting with this arrives, send ``HANGUP``
    plus the command's ``-1`` result, and answer ``511`` from then on.
    ``close_on``: when a command starting with this arrives, close the socket.
    """

    def __init__(self, address, script="inbound", argv=(), *, env=None, variables=None,
                 hangup_on=None, close_on=None, timeout=5.0):
        self.uniqueid = f"1700000000.{next(_uniqueids)}"
        self.env = {
            "agi_network": "yes",
            "agi_network_script": script,
            "agi_request": f"agi://{address[0]}:{address[1]}/{script}",
            "agi_channel": "PJSIP/carrier-00000001",
            "agi_language": "zh",
            "agi_type": "PJSIP",
            "agi_uniqueid": self.uniqueid,
            "agi_version": "22.10.1",
            "agi_callerid": "13800138000",
            "agi_calleridname": "unknown",
            "agi_dnid": "12345",
            "agi_rdnis": "unknown",
            "agi_context": "from-carrier",
            "agi_extension": "12345",
            "agi_priority": "2",
            "agi_enhanced": "0.0",
            "agi_accountcode": "",
            "agi_threadid": "140000000000000",
        }
        for i, arg in enumerate(argv, 1):
            self.env[f"agi_arg_{i}"] = arg
        self.env.update(env or {})
        self.variables = dict(variables or {})
        self.commands: list[str] = []
        self.hangup_on = hangup_on
        self.close_on = close_on
        self.hung_up = False
        self.sock = socket.create_connection(address, timeout=timeout)
        self._rfile = self.sock.makefile("r", encoding="utf-8", newline="\n")

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8"))

    def send_environment(self) -> "FakeChannel":
        self.send("".join(f"{k}: {v}\n" for k, v in self.env.items()) + "\n")
        return self

    def read_command(self) -> str | None:
        """The next command line, or None when the server closed the connection."""
        try:
            line = self._rfile.readline()
        except ConnectionResetError:
            return None
        return line.rstrip("\n") if line else None

    def serve(self) -> "FakeChannel":
        """Answer commands until the server hangs up its end; returns self for chaining."""
        try:
            while (line := self.read_command()) is not None:
                self.commands.append(line)
                if self.close_on and line.startswith(self.close_on):
                    break
                self.send(self.reply(line) + "\n")
        finally:
            self.close()
        return self

    def reply(self, line: str) -> str:
        if self.hung_up:
            return DEAD_CHANNEL
        if self.hangup_on and line.startswith(self.hangup_on):
            self.hung_up = True
            return "HANGUP\n200 result=-1 endpos=0"
        args = parse_agi_args(line)
        words = " ".join(args[:2]).upper()
        if words == "SET VARIABLE":
            self.variables[args[2]] = args[3]
            return "200 result=1"
        if words == "GET VARIABLE":
            if args[2] in self.variables:
                return f"200 result=1 ({self.variables[args[2]]})"
            return "200 result=0"
        if words == "STREAM FILE":
            return "200 result=0 endpos=8000"
        if args[0].upper() in ("ANSWER", "NOOP", "VERBOSE"):
            return "200 result=0"
        return "510 Invalid or unknown command"

    def close(self) -> None:
        self._rfile.close()
        self.sock.close()


def call(server: FastAgiServer, script="inbound", argv=(), **kwargs) -> FakeChannel:
    """Place one complete call against the server and return the channel once the server is done."""
    return FakeChannel(server.server_address, script, argv, **kwargs).send_environment().serve()


# --- database -------------------------------------------------------------------

metadata = MetaData()
notes = Table(
    "agi_test_notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("uniqueid", String(40), nullable=False),
    Column("note", String(200), nullable=False),
)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'agi.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return sessionmaker(engine)


@pytest.fixture
def stored_notes(engine):
    def read() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(notes.c.uniqueid, notes.c.note).order_by(notes.c.id))]
    return read


# --- server ---------------------------------------------------------------------

@pytest.fixture
def thread_errors():
    """Exceptions that escaped any thread: there must be none."""
    errors = []
    previous = threading.excepthook
    threading.excepthook = errors.append
    yield errors
    threading.excepthook = previous
    assert errors == []


@pytest.fixture
def start_server(session_factory, thread_errors):
    """start_server(handlers, **options) → a running FastAgiServer on a free port, shut down afterwards.

    After shutdown, the thread count must be back where it was before the server started.
    """
    baseline = threading.active_count()
    servers = []

    def start(handlers, **options):
        options.setdefault("socket_timeout", 3.0)
        server = FastAgiServer("127.0.0.1", 0, handlers, session_factory, **options)
        servers.append(server)
        server.start_in_thread(poll_interval=0.05)
        return server

    yield start
    for server in servers:
        server.shutdown()
    wait_for(lambda: threading.active_count() == baseline, 3.0, "every server thread gone", interval=0.01)


@pytest.fixture
def settled(start_server):
    """settled(server): wait until no call thread of the server is alive, then return True."""
    def check(server: FastAgiServer, timeout=3.0) -> bool:
        return wait_for(lambda: server.active_calls == 0 and not any(
            t.name.startswith(("agi-", "Thread-")) for t in threading.enumerate()), timeout,
            "no call thread of the server alive", interval=0.01)
    return check


# --- helpers as fixtures (tests never import conftest by name) -------------------

@pytest.fixture
def fake_channel():
    return FakeChannel


@pytest.fixture
def place_call():
    return call


@pytest.fixture
def insert_note():
    def insert(session, uniqueid: str, note: str) -> None:
        session.execute(notes.insert().values(uniqueid=uniqueid, note=note))
    return insert
