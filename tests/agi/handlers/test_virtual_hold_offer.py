"""``vhold_offer`` through the real FastAGI server: offered on a slow queue, never to a withheld number."""
from __future__ import annotations

import pytest

from agi.handlers import HANDLERS
from db.models import Call, CallOutcome
from db.session import utcnow
from hotline.dialplan import VHOLD_OFFER


@pytest.fixture
def slow_queue(session_factory):
    """Three calls of queue 12345 answered after 100 s each, just now."""
    with session_factory() as s:
        now = utcnow()
        for i in range(3):
            s.add(Call(uniqueid=f"slow-{i}", caller="13800000000", queue_name="12345", arrived_at=now,
                       answered_at=now, wait_seconds=100.0, outcome=CallOutcome.answered, ended_at=now))
        s.commit()


@pytest.mark.parametrize("caller, threshold, offered", [
    ("13800138000", "60", "1"),       # position 2 × 100 s > 60 s
    ("13800138000", "300", ""),       # 200 s expected: under this threshold
    ("13800138000", "0", ""),         # 0: offers off
    ("anonymous", "60", ""),          # withheld: nobody to call back
    ("unknown", "60", ""),
])
def test_offer_decision(start_server, place_call, slow_queue, caller, threshold, offered):
    server = start_server(HANDLERS)
    ch = place_call(server, "vhold_offer", ["12345", "2", threshold], env={"agi_callerid": caller})
    assert ch.variables.get(VHOLD_OFFER, "") == offered
