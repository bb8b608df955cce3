"""Keep my place and call me back (回拨, virtual hold; callbacks/virtual_hold.py), in four steps.

``vhold_offer,<queue>,<position>,<threshold s>``  before Queue(): HOTLINE_VHOLD_OFFER=1 to offer key 1
``vhold_request,<queue>``            the citizen keyed 1: HOTLINE_VHOLD_ID = the callback request holding the place
``vhold_agent,<id>``                 the agent's channel, on picking up the placeholder: who took it
``vhold_result,<id>,<DIALSTATUS>,<HANGUPCAUSE>,<last>``  the placeholder, after each dial of the citizen
``vhold_end,<id>``                   the placeholder hung up: a request it still held goes back on the list
"""
from __future__ import annotations

from agi.request import AgiRequest
from callbacks import virtual_hold
from db.models import Callback
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from hotline.caller_id import is_withheld
from hotline.config import current_settings
from hotline.dialplan import VHOLD_ID, VHOLD_OFFER, sip_username_of


def offer(req: AgiRequest) -> None:
    queue, position, threshold = (req.argv + ["", "", ""])[:3]
    if is_withheld(req.caller):      # the number on the call is the one called back: a withheld one never is
        req.set_variable(VHOLD_OFFER, "")
        return
    offered, wait = virtual_hold.should_offer(
        req.session, int(threshold) if threshold.isdigit() else current_settings().virtual_hold_offer_s,
        queue, int(position) if position.isdigit() else 0)
    req.set_variable(VHOLD_OFFER, "1" if offered else "")
    if offered:
        req.log.info("virtual hold offered in %s: position %s, expected wait %.0fs", queue, position, wait)


def request(req: AgiRequest) -> None:
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None:
        req.log.warning("virtual hold keyed on a call with no record: the caller waits on the line")
        return
    callback = virtual_hold.request(req.session, current_settings(), call)
    req.session.commit()
    req.set_variable(VHOLD_ID, str(callback.id))
    req.log.info("virtual hold %s: place kept in %s", callback.id, (req.argv + [""])[0])


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
    _, status, cause, last = (req.argv + ["", "", "", ""])[:4]
    outcome = virtual_hold.record_try(req.session, current_settings(), callback, status, cause, last=last == "1")
    req.log.info("virtual hold %s: dial %s (%s), request %s", callback.id, outcome.value, status,
                 callback.status.value)


def end(req: AgiRequest) -> None:
    callback = _callback(req)
    if callback is not None and virtual_hold.release(req.session, current_settings(), callback):
        req.log.info("virtual hold %s: placeholder gone before the citizen was reached, request %s",
                     callback.id, callback.status.value)
