"""The department adapter against the real demo department process: answer, slow, down, circuit breaker."""
from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest

from selfservice.department_api import CircuitBreaker, DepartmentClient, DepartmentUnavailable

ID, PIN = "370102199001011234", "123456"
PATH = "/api/v1/contributions"


@pytest.fixture
def slow(demo_department):
    def set_delay(seconds: float) -> None:
        httpx.post(f"{demo_department}/control/delay", json={"seconds": seconds}).raise_for_status()
    yield set_delay
    set_delay(0)


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"   # nobody listens once closed


def test_an_answer_is_read_back_without_the_id_number_or_pin(demo_department, caplog):
    caplog.set_level(logging.DEBUG)
    client = DepartmentClient(demo_department)
    answer = client.query(PATH, id_number=ID, pin=PIN)
    assert answer.fields == {"status": 200, "result": "ok", "months_paid": 96, "last_month": "2026-11",
                             "balance_yuan": 52340}
    no_match = client.query(PATH, id_number=ID, pin="000000")
    assert no_match.fields == {"status": 401, "result": "no_match"}     # an answer, not a failure
    assert client.breaker.state == "closed"
    assert ID not in caplog.text and PIN not in caplog.text


def test_a_slow_system_is_given_up_within_the_timeout_and_not_retried(demo_department, slow):
    slow(3)
    client = DepartmentClient(demo_department, timeout_s=1.0, retries=2)
    started = time.monotonic()
    with pytest.raises(DepartmentUnavailable) as refused:
        client.query(PATH, id_number=ID, pin=PIN)
    assert refused.value.reason == "slow"
    assert time.monotonic() - started < 1.8


def test_a_dead_system_is_retried_a_bounded_number_of_times_then_the_circuit_opens(caplog):
    caplog.set_level(logging.INFO)
    breaker = CircuitBreaker(threshold=2, reset_after_s=60)
    client = DepartmentClient(closed_port(), retries=1, breaker=breaker)
    for _ in range(2):
        with pytest.raises(DepartmentUnavailable) as refused:
            client.query(PATH, id_number=ID, pin=PIN)
        assert refused.value.reason == "down"
    assert caplog.text.count("unreachable (attempt") == 4                # 2 calls × (1 + 1 retry)
    assert breaker.state == "open"
    started = time.monotonic()
    with pytest.raises(DepartmentUnavailable) as refused:
        client.query(PATH, id_number=ID, pin=PIN)
    assert refused.value.reason == "open" and time.monotonic() - started < 0.05   # not even asked
    assert ID not in caplog.text and PIN not in caplog.text


def test_half_open_lets_one_trial_through_and_a_success_closes_it(demo_department):
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, reset_after_s=30, clock=lambda: now[0])
    client = DepartmentClient(demo_department, breaker=breaker)
    breaker.failure()
    with pytest.raises(DepartmentUnavailable):
        client.query(PATH, id_number=ID, pin=PIN)          # open: not asked
    now[0] = 31
    assert breaker.state == "half_open"
    assert client.query(PATH, id_number=ID, pin=PIN).fields["result"] == "ok"   # the one trial, to the real system
    assert breaker.state == "closed"


def test_half_open_lets_exactly_one_caller_try():
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, reset_after_s=30, clock=lambda: now[0])
    breaker.failure()
    now[0] = 31
    assert breaker.allow() and not breaker.allow()


def test_a_failed_trial_opens_the_circuit_again():
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, reset_after_s=30, clock=lambda: now[0])
    for _ in range(3):
        breaker.failure()
    now[0] = 40
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"


def test_timeouts_and_retries_are_bounded():
    with pytest.raises(ValueError):
        DepartmentClient("http://127.0.0.1:1", timeout_s=5)
    with pytest.raises(ValueError):
        DepartmentClient("http://127.0.0.1:1", retries=10)
