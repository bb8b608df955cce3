"""rq jobs of the one dialer: the callback list (collect missed calls, dial what is due while agents
are idle) and the return visits (回访: make the summaries, dial what is due).

Idempotent: a call already on the list is skipped; an attempt is claimed in the
database before it is dialed, so a job that runs twice, or a worker killed
mid-call, never dials the same attempt twice.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from callbacks import rules, visit_summary
from callbacks.collect import collect_missed_calls
from callbacks.dialer import Dialer, claim, finish, idle_agents, recover_lost
from db.models import Agent, AttemptOutcome, Callback, CallbackStatus, Purpose, ReturnVisit, ReturnVisitStatus
from db.session import make_engine, make_session_factory, utcnow
from hotline.ami import AmiClient
from hotline.config import Settings, current_settings

log = logging.getLogger(__name__)


def place_callbacks(settings: Settings, session_factory, ami: AmiClient, *, by: str = "worker",
                    ring_seconds: float = 30.0, now: dt.datetime | None = None) -> dict[int, str]:
    """One round: list new missed calls, recover lost attempts, dial the due ones. → {callback id: outcome}."""
    now = now or utcnow()
    window = rules.window_of(settings)
    with session_factory() as session:
        collect_missed_calls(session, settings, now)
        recover_lost(session, window, now)
        session.commit()
        if not window.contains(now):
            return {}
        slots = min(idle_agents(ami), settings.dialer_concurrency)
        due = session.scalars(select(Callback.id).where(Callback.status == CallbackStatus.pending,
                                                        Callback.next_attempt_at <= now)
                              .order_by(Callback.due_at).limit(max(slots, 0))).all()
        return dial(settings, session, ami, due, by=by, ring_seconds=ring_seconds, now=now)


def place_return_visits(settings: Settings, session_factory, ami: AmiClient, *, by: str = "worker",
                        ring_seconds: float = 30.0, now: dt.datetime | None = None) -> dict[int, str]:
    """One round of 回访: recover lost attempts, make the due visits' summaries, dial them.
    → {return visit id: outcome}. Outside the calling window nothing is dialed."""
    now = now or utcnow()
    window = rules.window_of(settings)
    with session_factory() as session:
        recover_lost(session, window, now)
        session.commit()
        if not window.contains(now):
            return {}
        due = session.scalars(select(ReturnVisit).where(ReturnVisit.status == ReturnVisitStatus.pending,
                                                        ReturnVisit.next_attempt_at <= now)
                              .order_by(ReturnVisit.next_attempt_at, ReturnVisit.id)
                              .limit(max(settings.dialer_concurrency, 0))).all()
        if visit_summary.prepare(settings, list(due)):
            session.commit()
        return dial(settings, session, ami, [v.id for v in due], by=by, ring_seconds=ring_seconds, now=now,
                    purpose=Purpose.return_visit)


def dial(settings: Settings, session, ami: AmiClient, request_ids, *, by: str, agent_endpoint: str = "",
         ring_seconds: float = 30.0, now: dt.datetime | None = None,
         purpose: Purpose = Purpose.callback) -> dict[int, str]:
    """Claim, originate (paced), wait for the outcomes, record them. → {request id: outcome}."""
    window = rules.window_of(settings)
    dialer = Dialer(settings, ami, ring_seconds=ring_seconds)
    pending = {}
    for request_id in request_ids:
        attempt = claim(session, request_id, by=by, concurrency=settings.dialer_concurrency, now=now,
                        purpose=purpose)
        if attempt is None:
            continue
        action_id = dialer.originate(attempt, agent_endpoint)
        if action_id:
            pending[action_id] = attempt
        else:
            finish(session, attempt, AttemptOutcome.failed, window=window, now=_clock(now))
            session.commit()
    results = {}
    for action_id, (outcome, reason, cause) in dialer.wait_outcomes(pending).items():
        attempt = pending[action_id]
        finish(session, attempt, outcome, window=window, reason=reason, cause=cause, now=_clock(now))
        results[attempt.request.id] = outcome.value
        log.info("%s %s attempt %s: %s (reason %s, cause %s)", purpose.value, attempt.request.id, attempt.number,
                 outcome.value, reason, cause)
    session.commit()
    return results


def _clock(now: dt.datetime | None) -> dt.datetime:
    """When an attempt ended: the real time, or the round's own clock when that runs ahead (tests)."""
    return max(now, utcnow()) if now else utcnow()


def call_back_by_agent(callback_id: int, agent_number: str, settings: Settings | None = None,
                       session_factory=None, ami: AmiClient | None = None) -> dict[int, str]:
    """一键回拨: one attempt now, the citizen put through to the agent who clicked (window and limits hold)."""
    settings = settings or current_settings()
    engine = None
    if session_factory is None:
        engine = make_engine(settings.database_url)
        session_factory = make_session_factory(engine)
    try:
        with session_factory() as session:
            agent = session.scalar(select(Agent).where(Agent.number == agent_number))
            if agent is None or not rules.window_of(settings).contains(utcnow()):
                return {}
            if ami is not None:
                return dial(settings, session, ami, [callback_id], by=f"agent:{agent.number}",
                            agent_endpoint=agent.sip_username)
            with _pbx_ami(settings) as own:
                return dial(settings, session, own, [callback_id], by=f"agent:{agent.number}",
                            agent_endpoint=agent.sip_username)
    finally:
        if engine is not None:
            engine.dispose()


def _pbx_ami(settings: Settings) -> AmiClient:
    return AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("dialer"))


def _dial_due(place) -> dict[int, str]:
    """An rq job of the one dialer: ``place`` (callbacks or return visits) with its own engine and AMI user."""
    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        with _pbx_ami(settings) as ami:
            return place(settings, make_session_factory(engine), ami)
    finally:
        engine.dispose()


def place_callbacks_now() -> dict[int, str]:
    return _dial_due(place_callbacks)


def place_return_visits_now() -> dict[int, str]:
    return _dial_due(place_return_visits)
