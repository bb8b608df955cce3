"""Every KPI's name and formula, written once: the API, the CSV, the dashboard and docs/kpis.md show these.

A figure is ``{value, numerator, denominator, formula}``. Rates are
numerator / denominator and ``None`` when the denominator is 0 (nothing to
divide yet, never a made-up 0 % or 100 %); averages are a sum over a count;
counts and maxima have no denominator.
"""
from __future__ import annotations

from dataclasses import dataclass

RATIO, SECONDS, COUNT = "ratio", "seconds", "count"


@dataclass(frozen=True)
class Formula:
    key: str
    zh: str        # the name the centre uses (人工接通率)
    en: str
    text: str      # the formula in words
    unit: str      # ratio, seconds or count
    target: float | None = None  # national or centre target, shown next to the number

    def as_dict(self) -> dict:
        body = {"zh": self.zh, "en": self.en, "text": self.text}
        if self.target is not None:
            body["target"] = self.target
        return body


def _f(key, zh, en, text, unit, target=None) -> Formula:
    return Formula(key, zh, en, text, unit, target)


RATING_LEVELS = ((1, "非常满意", "very satisfied"), (2, "满意", "satisfied"), (3, "基本满意", "fairly satisfied"),
                 (4, "不满意", "dissatisfied"), (5, "非常不满意", "very dissatisfied"))

CALL_FORMULAS: tuple[Formula, ...] = (
    _f("received", "来电量", "calls received", "every finished call record, whatever its outcome", COUNT),
    _f("offered", "人工排队量", "offered", "finished calls that joined a human queue", COUNT),
    _f("answered", "人工接通量", "answered", "offered calls an agent picked up", COUNT),
    _f("answer_rate", "人工接通率", "answer rate",
       "answered / (offered − short abandons)", RATIO, 0.95),
    _f("sl_rate", "15秒接通率", "15-second answer rate",
       "answered within the queue's service level (15 s) / answered", RATIO, 0.80),
    _f("sl_rate_offered", "15秒接通率(按排队量)", "15-second answer rate over offered",
       "answered within the queue's service level (15 s) / (offered − short abandons)", RATIO),
    _f("abandon_rate", "放弃率", "abandon rate",
       "abandoned after the short-abandon threshold / (offered − short abandons)", RATIO),
    _f("short_abandoned", "短时放弃量", "short abandons",
       "abandoned with a wait under the short-abandon threshold (not counted as offered to an agent)", COUNT),
    _f("short_abandon_rate", "短时放弃率", "short abandon rate", "short abandons / offered", RATIO),
    _f("average_speed_of_answer", "平均应答时长", "average speed of answer",
       "sum of waits of answered calls / answered", SECONDS),
    _f("average_wait", "平均排队时长", "average wait",
       "sum of waits of all offered calls (answered or not) / offered", SECONDS),
    _f("longest_wait", "最长排队时长", "longest wait", "longest wait of an offered call", SECONDS),
    _f("average_handling_time", "平均处理时长", "average handling time",
       "(talk time + wrap-up time) / answered; wrap-up = the queue's wrap-up time per answered call", SECONDS),
    _f("average_talk_time", "平均通话时长", "average talk time", "talk time / answered", SECONDS),
    _f("rated", "评价量", "calls rated (一次一评)",
       "answered calls the citizen rated after the agent hung up (a key 1-5)", COUNT),
    _f("rating_rate", "参评率", "rating rate", "rated / answered", RATIO),
    _f("call_satisfaction_rate", "通话满意率", "call satisfaction rate (一次一评)",
       "rated 1 very satisfied or 2 satisfied / rated (no key is no rating, never satisfied)", RATIO),
    *(_f(f"rated_{level}", f"评价{level}{zh}量", f"rated {level} {en}",
         f"answered calls the citizen rated {level} ({en})", COUNT) for level, zh, en in RATING_LEVELS),
    _f("unrated", "未评价量", "answered without a rating",
       "answered calls with no rating key (never counted as satisfied)", COUNT),
    _f("callback_requests", "回拨请求量", "callback requests (漏接回拨)",
       "callback requests whose first missed call is in the slice (one per caller per centre day; "
       "withheld numbers included)", COUNT),
    _f("callback_undialable", "隐藏号码回拨请求量", "callback requests with a withheld number",
       "callback requests that can never be dialed (号码隐藏)", COUNT),
    _f("callback_rate", "回拨率", "callback rate",
       "requests reached / requests due (dialable requests reached, attempts used up, or past their target "
       "time at as_of)", RATIO),
    _f("callback_on_target_rate", "按时回拨率", "called back within the target time",
       "requests reached by their target time (30 min of calling window) / requests due", RATIO),
    _f("average_time_to_callback", "平均回拨时长", "average time to callback",
       "sum of (first reached attempt − first missed call) / requests reached", SECONDS),
    _f("median_time_to_callback", "回拨时长中位数", "median time to callback (p50)",
       "median of (first reached attempt − first missed call) over requests reached", SECONDS),
    _f("longest_time_to_callback", "最长回拨时长", "longest time to callback",
       "longest (first reached attempt − first missed call) of a request reached", SECONDS),
    _f("callback_open", "待回拨量", "open callback requests",
       "requests waiting for an attempt or being dialed now (pending or dialing; "
       "reached then missed again the same day included)", COUNT),
)

TICKET_FORMULAS: tuple[Formula, ...] = (
    _f("tickets", "工单量", "tickets", "tickets written in the period, duplicates merged away (并单) left out", COUNT),
    _f("immediate_rate", "即办率", "immediate resolution rate",
       "tickets resolved on the call (直办) / tickets", RATIO),
    _f("dispatched", "派单量", "dispatched", "tickets dispatched to a department (派单)", COUNT),
    _f("accept_on_time_rate", "按时签收率", "on-time acceptance rate",
       "accepted before the accept deadline / dispatched tickets accepted or past their accept deadline",
       RATIO),
    _f("close_on_time_rate", "按时办结率", "on-time closure rate",
       "closed, replied by the handling deadline (extensions included), never overdue and never reopened / "
       "dispatched tickets closed or past their handling deadline", RATIO),
    _f("overdue_rate", "逾期率", "overdue rate",
       "replied after the handling deadline, flagged overdue, or still unreplied past it / "
       "dispatched tickets closed or past their handling deadline", RATIO),
    _f("repeat_rate", "复重率", "repeat rate",
       "tickets whose caller filed a ticket on the same topic within the repeat window before / "
       "tickets with a caller number", RATIO),
    _f("satisfaction_rate", "满意率", "satisfaction rate (一事一评)",
       "rated very satisfied or satisfied by the citizen / tickets the citizen rated", RATIO),
    _f("satisfaction_rate_closed", "满意率(按办结量)", "satisfaction rate over closed",
       "rated very satisfied or satisfied / closed dispatched tickets (closed without a rating counts as "
       "not satisfied)", RATIO),
    _f("unrated_closed", "未评价办结量", "closed without a rating",
       "dispatched tickets closed with no rating from the citizen", COUNT),
    _f("visit_rate", "回访率", "return-visit rate",
       "return visits done / tickets whose reply the centre approved (due for a visit)", RATIO),
    _f("closure_rate", "办结率", "closure rate", "closed or archived / tickets", RATIO),
    _f("reply_rate", "回复率", "reply rate", "dispatched tickets the department replied to / dispatched", RATIO),
    _f("return_rate", "退单率", "return rate",
       "dispatched tickets returned to the centre at least once (退单) / dispatched", RATIO),
    _f("extension_rate", "延期率", "extension rate",
       "dispatched tickets with an approved extension (延期) / dispatched", RATIO),
    _f("reopened", "重启量", "reopened", "tickets reopened at least once because the citizen was not satisfied",
       COUNT),
)

# figures of the call records' follow-up (callbacks, ratings): app_queue's queue_log has nothing to compare them with
NOT_IN_QUEUE_LOG = frozenset({"rated", "unrated", "rating_rate", "call_satisfaction_rate",
                              *(f"rated_{level}" for level, _, _ in RATING_LEVELS),
                              *(f.key for f in CALL_FORMULAS if "callback" in f.key)})

ALL = {f.key: f for f in CALL_FORMULAS + TICKET_FORMULAS}


def figure(key: str, numerator, denominator=None, *, value=None) -> dict:
    """One figure as the API returns it; rates and averages divide here, once."""
    formula = ALL[key]
    if formula.unit == COUNT:
        value = numerator
    elif value is None:
        value = None if not denominator else numerator / denominator
    if isinstance(value, float):
        value = round(value, 4 if formula.unit == RATIO else 1)
    if isinstance(numerator, float):
        numerator = round(numerator, 3)
    return {"value": value, "numerator": numerator, "denominator": denominator, "unit": formula.unit,
            "formula": formula.as_dict()}
