"""``AGI(agi://host/contributions)``: social-security contributions by phone (社保缴费查询, 互联互通),
reached from a menu option ``{action: self_service, service: contributions}`` (route
``contributions``, asterisk_conf/pbx/extensions_selfservice.conf).

The caller keys an ID number ('*' for the final X) and a PIN with GET DATA — not the
dialplan's Read(), whose value would then appear in the verbose log of every dialplan step
that uses it — and the line's department system (``Line.self_service_url``) is asked.
The figures are read back; a wrong ID or PIN gets one retry, then an agent; a slow or dead
system: "unavailable", then an agent. The keys stay in local variables: never logged (the
AGI replies are kept out of the DEBUG log too, ``AgiSession.secret_input``), never stored,
never a channel variable.
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.handlers.inbound import apply_route, to_an_agent
from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from agi.routing import SELF_SERVED
from db.repositories import calls as call_repo
from hotline import dialplan as v
from selfservice import contributions as c

DIGITS_TIMEOUT_S = 8       # between keys
NEXT_TIMEOUT_S = 6         # after "for an agent press 0, or hang up"


class _Query:
    def __init__(self, req: AgiRequest, url: str | None, language: str):
        self.req = req
        self.url = url
        self.language = language
        self.channel = AgiChannel(req.agi)
        self.asterisk_sounds = AgiChannel(req.agi, prompt_prefix="")   # digits/mon-10: Asterisk's own files
        self.answered = False

    def keyed(self, prompt: str, keys: int) -> str:
        """Up to ``keys`` keys ended by '#' or a pause; one more allowed so a '#' after a complete
        entry ends this GET DATA. The reply is not logged (secret_input)."""
        agi = self.req.agi
        with agi.timeout(DIGITS_TIMEOUT_S * (keys + 2) + 10), agi.secret_input():
            return agi.get_data(f"hotline/{prompt}", DIGITS_TIMEOUT_S * 1000, keys + 1) or ""

    def say(self, steps) -> None:
        agi = self.req.agi
        for step in steps:
            if step.kind == "prompt":
                self.channel.play(step.value)
            elif step.kind == "file":
                self.asterisk_sounds.play(step.value)
            elif step.kind == "digits":
                agi.say_digits(step.value)
            elif step.kind == "number":
                agi.say_number(step.value)

    def run(self) -> str:
        """How the caller goes on to an agent: "agent" (after the figures, a wrong entry) or
        "unavailable" (the system could not answer). Returns only then (a hangup raises)."""
        for attempt in range(2):   # one clear retry, then an agent
            id_number = c.id_number_from_keys(self.keyed("contrib-enter-id", c.ID_KEYS))
            pin = c.pin_from_keys(self.keyed("contrib-enter-pin", c.PIN_KEYS)) if id_number else None
            if id_number is None or pin is None:
                self.req.log.info("contributions: entry %d is not an ID number and PIN", attempt + 1)
                self.channel.play("contrib-no-match" if attempt == 0 else "contrib-no-match-agent")
                continue
            self.channel.play("contrib-wait")
            outcome = c.ask(self.url, id_number, pin)
            del id_number, pin
            if outcome.kind == c.UNAVAILABLE:
                self.req.log.warning("contributions: department system unavailable (%s)", outcome.reason)
                self.channel.play("self-service-unavailable")
                return "unavailable"
            if outcome.kind == c.NO_MATCH:
                self.req.log.info("contributions: no record for entry %d", attempt + 1)
                self.channel.play("contrib-no-match" if attempt == 0 else "contrib-no-match-agent")
                continue
            self.channel.play("contrib-record")
            self.say(c.speech(outcome.figures, self.language))
            self.req.log.info("contributions: record read out")
            # from now on a hangup is a self-served call (the hangup handler reads these)
            self.req.set_variable(v.TRANSFER_KIND, SELF_SERVED)
            self.req.set_variable("DIALSTATUS", "ANSWER")
            self.answered = True
            self.channel.play("contrib-next", "0") or self.channel.wait_digit(NEXT_TIMEOUT_S)
            return "agent"      # 0, silence or any key: a person
        return "agent"


def handle(req: AgiRequest) -> None:
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    language = (call.language if call is not None else None) or "zh"
    config = CACHE.get(req.session)
    line = config.line_by_id(call.line_id) if call is not None and call.line_id else config.line(req.dialed_number)
    req.session.commit()   # nothing is held while the caller keys and the department answers
    query = _Query(req, line.self_service_url if line is not None else None, language)
    how = query.run()
    # "unavailable" has already told the caller an agent comes
    route = to_an_agent(req, config, call, language=language, line=line,
                        channel=query.channel if how != "unavailable" else None)
    req.log.info("contributions: %s, caller goes to %s", "answered" if query.answered else how, route.queue)
    apply_route(req, route, line_number=line.number if line is not None else None)
