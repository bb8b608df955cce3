"""Keep my place and call me back (回拨, virtual hold; callbacks/virtual_hold.py), step by step.

``vhold_offer,<queue>,<position>,<threshold s>``  before Queue(): HOTLINE_VHOLD_OFFER=1 to offer keys 1 (this
                                     number) and 2 (a keyed one), =2 to offer key 2 only (a withheld number)
``vhold_number,<digits>``            key 2: HOTLINE_VHOLD_CHECKED = the keyed number when it is a phone number
``vhold_request,<queue>,<number>``   the citizen chose: HOTLINE_VHOLD_ID = the callback request holding the place
``vhold_agent,<id>``                 the agent's channel, on picking up the placeholder: who took it
``vhold_result,<id>,<DIALSTATUS>,<HANGUPCAUSE>,<last>,<MEMBERINTERFACE>``  the placeholder, after each dial of
                                     the citizen; the attempt records the agent (the queue member) who took it
``vhold_end,<id>``                   the placeholder hung up: a request it still held goes back on the list
"""
from __future__ import annotations

from agi.request import AgiRequest
from callbacks import virtual_hold
from callbacks.callback_number import callback_number
from db.models import Callback
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from hotline.caller_id import is_withheld
from hotline.config import current_settings
from hotline.dialplan import VHOLD_CHECKED, VHOLD_ID, VHOLD_KEYED_ONLY, VHOLD_OFFER, VHOLD_OFFER_BOTH, sip_username_of


def offer(req: AgiRequest) -> None:
    queue, position, threshold = (req.argv + ["", "", ""])[:3]
    offered, wait = virtual_hold.should_offer(
        req.session, int(threshold) if threshold.isdigit() else current_settings().virtual_hold_offer_s,
        queue, int(position) if position.isdigit() else 0)
    # a withheld number cannot be called back: such a caller may only key the number to call (key 2)
    withheld = is_withheld(req.caller)
    req.set_variable(VHOLD_OFFER, (VHOLD_KEYED_ONLY if withheld else VHOLD_OFFER_BOTH) if offered else "")
    if offered:
        req.log.info("virtual hold offered in %s: position %s, expected wait %.0fs%s", queue, position, wait,
                     ", a keyed number only (withheld caller ID)" if withheld else "")


def number(req: AgiRequest) -> None:
    """Key 2: the digits the caller keyed, checked as a phone number to call back (HOTLINE_VHOLD_CHECKED)."""
    checked = callback_number((req.argv + [""])[0])
    req.set_variable(VHOLD_CHECKED, checked or "")
    req.log.info("virtual hold: keyed number %s", "valid" if checked else "not a phone number")


def request(req: AgiRequest) -> None:
    queue, keyed = (req.argv + ["", ""])[:2]
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None:
        req.log.warning("virtual hold chosen on a call with no record: the caller waits on the line")
        return
    number = virtual_hold.number_to_call(call, keyed)
    if number is None:
        req.log.warning("virtual hold chosen without a number to call back: the caller waits on the line")
        return
    callback = virtual_hold.request(req.session, current_settings(), call, number=number)
    req.session.commit()
    req.set_variable(VHOLD_ID, str(callback.id))
    req.log.info("virtual hold %s: place kept in %s, calling back %s", callback.id, queue,
                 "the number on the call" if number == call.caller else "a keyed number")


def _callback(req: AgiRequest) -> Callback | None:
    value = (req.argv + [""])[0]
    callback = req.session.get(Callback, int(value)) if value.isdigit() else None
    if callback is None:
        req.log.warning("virtual hold %r has no callback request", value)
    return callback


def agent(req: AgiRequest) -> None:
    callback = _callback(req)
    if callback is None:
        return
    who = agent_repo.by_sip_username(req.session, sip_username_of(req.env.get("agi_channel", "")))
    req.log.info("virtual hold %s taken by agent %s: calling back", callback.id, who.number if who else "-")


def result(req: AgiRequest) -> None:
    callback = _callback(req)
    if callback is None:
        return
    _, status, cause, last, member = (req.argv + [""] * 5)[:5]
    who = agent_repo.by_sip_username(req.session, sip_username_of(member)) if member else None
    outcome = virtual_hold.record_try(req.session, current_settings(), callback, status, cause, last=last == "1",
                                      agent=who)
    req.log.info("virtual hold %s: dial %s (%s), request %s, agent %s", callback.id, outcome.value, status,
                 callback.status.value, who.number if who else "-")


def end(req: AgiRequest) -> None:
    callback = _callback(req)
    if callback is not None and virtual_hold.release(req.session, current_settings(), callback):
        req.log.info("virtual hold %s: placeholder gone before the citizen was reached, request %s",
                     callback.id, callback.status.value)
