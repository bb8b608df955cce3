"""The handler registry: script name in ``AGI(agi://host/<name>)`` → handler.

Explicit, so a test can compare it with the script names the dialplan uses.
"""
from agi.handlers import (
    agent_connect,
    agent_queues,
    callback_agent,
    contributions,
    faq,
    hangup,
    inbound,
    ivr,
    ping,
    progress,
    rating,
    return_visit,
    virtual_hold,
)

HANDLERS = {
    "inbound": inbound.handle,
    "ivr": ivr.handle,
    "agent_connect": agent_connect.handle,
    "agent_queues": agent_queues.handle,
    "hangup": hangup.handle,
    "ping": ping.handle,
    "rating": rating.handle,
    "callback_agent": callback_agent.handle,
    "progress": progress.handle,
    "return_visit": return_visit.handle,
    "faq": faq.handle,
    "contributions": contributions.handle,
    "vhold_offer": virtual_hold.offer,
    "vhold_number": virtual_hold.number,
    "vhold_request": virtual_hold.request,
    "vhold_agent": virtual_hold.agent,
    "vhold_result": virtual_hold.result,
    "vhold_end": virtual_hold.end,
}
