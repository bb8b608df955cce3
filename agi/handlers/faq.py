"""``AGI(agi://host/faq,<count>)``: FAQ by phone (电话常见问题), reached from a menu option
``{action: faq, count: N}`` (route ``faq``, asterisk_conf/pbx/extensions_selfservice.conf).

The caller hears the line's most asked articles (ivr.faq: "<title>, press 1 … for an agent press
0"), presses a key and hears that article's answer, then "1 to hear it again, 0 for an agent".
Silence reaches an agent; a wrong key gets one clear retry, the next one an agent. Only articles
whose prompts exist are offered: never a silent play. Each answer played is a use of the article
(knowledge usage figures, linked to the call); the call's ``ivr_path`` goes on after the menu key:
``>`` the FAQ sub-menu, then the keys (``x`` a wrong one, ``t`` silence), e.g. ``3>1`` (article 1),
``3>110`` (article 1, again, then an agent). A caller who heard an answer and hangs up without
asking for an agent was self-served: the channel's HOTLINE_TRANSFER_KIND says so to the hangup handler.
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.handlers.inbound import apply_route, to_an_agent
from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from agi.routing import SELF_SERVED
from db.models.knowledge import IVR_USER
from db.repositories import calls as call_repo
from hotline import dialplan as v
from hotline.config import current_settings
from ivr import faq
from ivr.channel import ALL_KEYS
from ivr.menu import FAQ_COUNT_DEFAULT
from ivr.prompts import exists as prompt_exists
from knowledge.errors import KnowledgeError
from knowledge.usage import record_use

KEY_TIMEOUT_S = 5      # after the list, and after "1 again, 0 an agent"
MAX_REPEATS = 5        # answers heard again on one call before an agent takes over


class _Faq:
    def __init__(self, req: AgiRequest, count: int):
        self.req = req
        self.settings = current_settings()
        self.channel = AgiChannel(req.agi)
        self.call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
        self.language = (self.call.language if self.call is not None else None) or "zh"
        self.path_before = (self.call.ivr_path or "") if self.call is not None else ""
        self.path = ""
        self.count = count
        self.heard: list[str] = []
        self.offered: list[faq.Choice] = []

    def note(self, token: str) -> None:
        """What the caller did goes into the call record at once: a hangup ends the handler."""
        self.path += token
        if self.call is not None:
            self.call.ivr_path = (self.path_before + self.path)[:255]
        self.req.session.commit()

    def choose(self, department_id: int | None) -> None:
        settings = self.settings
        self.offered = faq.choices(self.req.session, language=self.language, department_id=department_id,
                                   on=settings.local_now().date(), count=self.count,
                                   prompt_exists=lambda lang, name: prompt_exists(settings, lang, name))

    # --- the conversation -------------------------------------------------------------------
    def run(self) -> None:
        """Returns when the caller goes on to an agent (a hangup raises)."""
        self.note(">")
        if not self.offered:
            self.channel.play("faq-none")
            return
        keys = {c.key: c for c in self.offered}
        wrong = 0
        while True:
            key = self.listing() or self.channel.wait_digit(KEY_TIMEOUT_S)
            if not key:
                self.note("t")
                return
            if key == "0":
                self.note("0")
                return
            choice = keys.get(key)
            if choice is None:
                self.note("x")
                wrong += 1
                self.channel.play("invalid-key")
                if wrong > 1:
                    return
                continue
            self.note(key)
            self.answer(choice)
            return

    def listing(self) -> str:
        """"Frequently asked: <title>, press 1. … For an agent press 0." Any key interrupts it."""
        key = self.channel.play("faq-intro", ALL_KEYS)
        for choice in self.offered:
            key = key or self.channel.play(choice.title_prompt, ALL_KEYS) or self.channel.play("faq-press", ALL_KEYS)
            key = key or self.req.agi.say_digits(choice.key, ALL_KEYS)
        return key or self.channel.play("faq-agent", ALL_KEYS)

    def answer(self, choice: faq.Choice) -> None:
        wrong = repeats = 0
        self.play_answer(choice)
        while True:
            key = self.channel.play("faq-after", ALL_KEYS) or self.channel.wait_digit(KEY_TIMEOUT_S)
            if not key:
                self.note("t")
                return
            if key == "1" and repeats < MAX_REPEATS:
                self.note("1")
                repeats += 1
                self.play_answer(choice)
                continue
            if key in "01":
                self.note(key)
                return
            self.note("x")
            wrong += 1
            self.channel.play("invalid-key")
            if wrong > 1:
                return

    def play_answer(self, choice: faq.Choice) -> None:
        if choice.code not in self.heard:
            self.heard.append(choice.code)
            try:
                record_use(self.req.session, choice.code, IVR_USER, call=self.call)   # once per call
                self.req.session.commit()
            except KnowledgeError as gone:   # retired since the list was read: still played, not counted
                self.req.session.rollback()
                self.req.log.warning("FAQ article %s played but not counted: %s", choice.code, gone)
        self.req.log.info("FAQ article %s v%d read out (%s)", choice.code, choice.version, choice.answer_prompt)
        self.channel.play(choice.answer_prompt)
        # from now on a hangup is a self-served call
        self.req.set_variable(v.TRANSFER_KIND, SELF_SERVED)
        self.req.set_variable("DIALSTATUS", "ANSWER")


def _count(argv: list[str]) -> int:
    try:
        return int((argv + [""])[0])
    except ValueError:
        return FAQ_COUNT_DEFAULT


def handle(req: AgiRequest) -> None:
    query = _Faq(req, _count(req.argv))
    config = CACHE.get(req.session)
    line = config.line_by_id(query.call.line_id) if query.call is not None and query.call.line_id else None
    query.choose(line.department_id if line is not None else None)
    req.log.info("FAQ offers %s (%s)", ",".join(c.code for c in query.offered) or "nothing", query.language)
    req.session.commit()   # nothing is held while the caller listens
    query.run()
    route = to_an_agent(req, config, query.call, language=query.language, line=line, channel=query.channel)
    req.log.info("FAQ: %d article(s) heard, caller goes to %s", len(query.heard), route.queue)
    apply_route(req, route, line_number=line.number if line is not None else None)
