"""``AGI(agi://host/progress)``: ticket progress by phone (工单查询), reached from a menu option
``{action: self_service, service: progress}`` (route ``progress``, asterisk_conf/pbx/extensions_selfservice.conf).

The caller hears their own tickets (by caller ID), or keys a ticket number; a
confidential ticket asked about from another number needs its query code. One
wrong number or code gets one clear retry, the next one an agent; silence and
"0" reach an agent too. A caller who heard a ticket and hangs up was self-served:
the channel's HOTLINE_TRANSFER_KIND says so to the hangup handler.
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.handlers.inbound import apply_route, to_an_agent
from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from agi.routing import SELF_SERVED
from db.repositories import calls as call_repo
from db.session import utcnow
from hotline import dialplan as v
from hotline.caller_id import is_withheld
from hotline.config import current_settings
from ivr.department_prompts import department_prompt_name
from ivr.prompts import exists as prompt_exists
from selfservice import progress

KEY_TIMEOUT_S = 6          # after "another ticket: 1, an agent: 0"
DIGITS_TIMEOUT_S = 8       # between keys of a ticket number
MAX_ROUNDS = 4             # tickets keyed on one call before an agent takes over


class _Query:
    def __init__(self, req: AgiRequest):
        self.req = req
        self.settings = current_settings()
        self.channel = AgiChannel(req.agi)
        self.call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
        self.language = (self.call.language if self.call is not None else None) or "zh"
        self.heard = 0
        self.wrong_codes = 0   # keyed for the ticket being unlocked; recorded with its query

    # --- speaking -----------------------------------------------------------------------
    def say(self, steps) -> None:
        agi = self.req.agi
        for step in steps:
            if step.kind == "prompt":
                self.channel.play(step.value)
            elif step.kind == "digits":
                agi.say_digits(step.value)
            elif step.kind == "number":
                agi.say_number(step.value)
            elif step.kind == "date":
                agi.say_date(step.value)

    def department_prompt(self, department) -> str | None:
        name = department_prompt_name(department.code)
        return name if prompt_exists(self.settings, self.language, name) else None

    def read(self, ticket, found_by: str) -> None:
        self.say(progress.speech(ticket, self.language, timezone=self.settings.timezone,
                                 department_prompt=self.department_prompt))
        progress.record_query(self.req.session, self.call, ticket, found_by, True, utcnow(),
                              wrong_codes=self.wrong_codes)
        self.wrong_codes = 0
        self.req.session.commit()
        self.req.log.info("ticket %s read out (%s, found by %s)", ticket.number, ticket.state.value, found_by)
        if not self.heard:   # from now on a hangup is a self-served call
            self.req.set_variable(v.TRANSFER_KIND, SELF_SERVED)
            self.req.set_variable("DIALSTATUS", "ANSWER")
        self.heard += 1

    def keyed(self, prompt: str, digits: int) -> str:
        """Up to ``digits`` keys ended by '#' (or a pause): one more than needed, so the '#' after a
        complete number ends this GET DATA instead of arriving, empty, at the next one."""
        with self.req.agi.timeout(DIGITS_TIMEOUT_S * (digits + 2) + 10):
            return self.req.agi.get_data(f"hotline/{prompt}", DIGITS_TIMEOUT_S * 1000, digits + 1) or ""

    # --- the conversation -------------------------------------------------------------------
    def run(self) -> str:
        """"agent" when the caller goes on to an agent; returns only then (a hangup raises)."""
        session = self.req.session
        own = progress.own_tickets(session, self.req.caller, utcnow())
        if own:
            self.channel.play("progress-own-found")
            for ticket in own:
                self.read(ticket, progress.FOUND_BY_CALLER_ID)
        elif not is_withheld(self.req.caller):
            self.channel.play("progress-none-found")
        want_number = not own
        for _ in range(MAX_ROUNDS):
            if not want_number:
                key = self.channel.play("progress-next", "10") or self.channel.wait_digit(KEY_TIMEOUT_S)
                if key != "1":
                    return "agent"       # 0, silence or any other key: a person
            want_number = False
            ticket = self.ask_ticket()
            if ticket is None or not self.unlocked(ticket):
                return "agent"
            self.read(ticket, progress.FOUND_BY_KEYED)
        return "agent"

    def ask_ticket(self):
        for attempt in range(2):   # one clear retry, then an agent
            digits = self.keyed("progress-enter-number", 14)
            ticket = progress.keyed_ticket(self.req.session, digits)
            if ticket is not None:
                return ticket
            self.req.log.info("keyed ticket number of %d digit(s) not found (attempt %d)", len(digits), attempt + 1)
            self.channel.play("progress-not-found" if attempt == 0 else "progress-not-found-agent")
        return None

    def unlocked(self, ticket) -> bool:
        """The query code, if the ticket needs one: two tries, within the number's daily limit of wrong
        codes (progress.WRONG_CODES_PER_DAY; at the limit no code is asked for, an agent answers)."""
        if not progress.needs_code(ticket, self.req.caller):
            return True
        session = self.req.session
        left = progress.code_attempts_left(session, self.req.caller, utcnow(), timezone=self.settings.timezone)
        session.commit()
        self.wrong_codes = 0
        for attempt in range(min(2, left)):
            code = self.keyed("progress-enter-code", progress.QUERY_CODE_DIGITS)
            if progress.code_matches(ticket, code):
                return True
            self.wrong_codes += 1
            if self.wrong_codes >= left:
                break
            self.channel.play("progress-wrong-code" if attempt == 0 else "progress-wrong-code-agent")
        if self.wrong_codes >= left:   # the day's limit: reached now, or before this call
            self.channel.play("progress-code-limit")
        progress.record_query(session, self.call, ticket, progress.FOUND_BY_KEYED, False, utcnow(),
                              wrong_codes=self.wrong_codes)
        session.commit()
        self.req.log.info("confidential ticket %s: query code refused (%d wrong now, %d tries were left today)",
                          ticket.number, self.wrong_codes, left)
        self.wrong_codes = 0
        return False


def handle(req: AgiRequest) -> None:
    query = _Query(req)
    config = CACHE.get(req.session)
    line = config.line_by_id(query.call.line_id) if query.call is not None and query.call.line_id else None
    req.session.commit()   # nothing is held while the caller listens
    query.run()
    route = to_an_agent(req, config, query.call, language=query.language, line=line, channel=query.channel)
    req.log.info("ticket progress: %d ticket(s) heard, caller goes to %s", query.heard, route.queue)
    apply_route(req, route, line_number=line.number if line is not None else None)
