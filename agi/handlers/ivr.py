"""``AGI(agi://host/ivr,<menu>)``: run an IVR menu (语音导航) and turn its result into a route.

No key, a wrong key too often, or anything unexpected ends with a human
(GB/T 33358): the engine's default is a queue, and so is every failure here.
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.handlers.inbound import apply_route
from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from agi.routing import SELF_SERVED, TRANSFERRED, Route, queue_route
from db.repositories import calls as call_repo
from hotline.dialplan import ENGLISH_QUEUE, MAIN_QUEUE, VOICEMAIL_ROUTE
from ivr.engine import run_menu

PROGRESS_SERVICE = "progress"   # menu option {action: self_service, service: progress} → route "progress"
FAQ_ROUTE = "faq"               # menu option {action: faq, count: N} → route "faq" (agi/handlers/faq.py)
CONTRIBUTIONS_SERVICE = "contributions"   # 社保缴费查询 (agi/handlers/contributions.py) → route "contributions"
VOICEMAIL_SERVICE = "voicemail"  # {action: self_service, service: voicemail} → route "voicemail" (留言)


def handle(req: AgiRequest) -> None:
    menu = (req.argv + [""])[0]
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    language = (call.language if call is not None else None) or "zh"
    config = CACHE.get(req.session)
    line = config.line_by_id(call.line_id) if call is not None else config.line(req.dialed_number)
    req.session.commit()  # nothing is held while the caller listens and presses keys

    result = run_menu(AgiChannel(req.agi), menu, language=language, menus=config.menus)
    route = route_for(req, config, result, line)
    if call is not None:
        call.ivr_path = result.path[:255]
        call.language = route.language
        if route.kind == "queue":
            call.queue_name = route.queue
    req.session.commit()
    req.log.info("menu %s: path %r → %s %s (%s)", menu, result.path, route.kind,
                 route.transfer_target or route.queue, result.reason)
    apply_route(req, route, line_number=line.number if line is not None else None)


def route_for(req: AgiRequest, config, result, line) -> Route:
    language = result.language or "zh"
    if result.action == "faq":   # 电话常见问题: the count travels as the decision's transfer target
        return Route(FAQ_ROUTE, queue=result.queue or MAIN_QUEUE, line=line, transfer_target=result.target,
                     language=language)
    # 工单查询 (agi/handlers/progress.py), 社保缴费查询 (agi/handlers/contributions.py): their own routes
    if result.action == "self_service" and result.target in (PROGRESS_SERVICE, CONTRIBUTIONS_SERVICE):
        return Route(result.target, queue=result.queue or MAIN_QUEUE, line=line, language=language)
    if result.action == "self_service" and result.target == VOICEMAIL_SERVICE:   # extensions_voicemail.conf
        return Route(VOICEMAIL_ROUTE, queue=result.queue or MAIN_QUEUE, line=line, language=language)
    if result.action == "self_service":
        if line is not None and line.transfer_target:
            return Route("transfer", line=line, transfer_target=line.transfer_target, transfer_kind=SELF_SERVED,
                         language=language)
        req.log.warning("self-service chosen but line %s has no system to transfer to",
                        line.number if line else "-")
    elif result.action == "transfer" and result.target:
        return Route("transfer", line=line, transfer_target=result.target, transfer_kind=TRANSFERRED,
                     language=language)
    queue = result.queue or (ENGLISH_QUEUE if language == "en" else MAIN_QUEUE)
    return queue_route(config, queue, line=line, language=language)
