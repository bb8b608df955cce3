"""Chinese labels of the ticket vocabulary, for pages and notifications."""
from __future__ import annotations

from db.models.tickets import Satisfaction, TicketCategory, TicketChannel, TicketState, TicketUrgency
from tickets.states import Event

STATE = {
    TicketState.intake: "受理", TicketState.dispatched: "待签收", TicketState.accepted: "办理中",
    TicketState.returned: "退单待审", TicketState.extension_requested: "延期待审",
    TicketState.replied: "答复待审", TicketState.awaiting_visit: "待回访", TicketState.visited: "已回访",
    TicketState.closed: "办结", TicketState.archived: "归档", TicketState.merged: "已并单",
}
EVENT = {
    Event.dispatch: "派单", Event.resolve_on_call: "直办", Event.merge: "并单", Event.accept: "签收",
    Event.return_to_center: "退单", Event.redispatch: "改派", Event.reject_return: "驳回退单",
    Event.reply: "答复", Event.request_extension: "申请延期", Event.approve_extension: "批准延期",
    Event.reject_extension: "驳回延期", Event.approve_reply: "审核通过", Event.send_back: "退回重办",
    Event.return_visit: "回访", Event.close: "办结", Event.reopen: "重启", Event.archive: "归档",
    Event.supervise: "督办", Event.escalate: "逾期督办", Event.remind_accept: "签收催办",
    Event.co_accept: "协办签收", Event.co_opinion: "协办意见",
    "create": "受理登记", "unmask_phone": "查看号码", "merged_in": "并入工单",
}
CATEGORY = {
    TicketCategory.consultation: "咨询", TicketCategory.help: "求助", TicketCategory.complaint: "投诉",
    TicketCategory.suggestion: "建议", TicketCategory.report: "举报", TicketCategory.praise: "表扬",
}
URGENCY = {TicketUrgency.normal: "一般", TicketUrgency.urgent: "紧急", TicketUrgency.critical: "特急"}
CHANNEL = {
    TicketChannel.phone: "电话", TicketChannel.web: "网站", TicketChannel.sms: "短信",
    TicketChannel.wechat: "微信", TicketChannel.mailbox: "市长信箱",
    TicketChannel.voicemail: "留言",
}
SATISFACTION = {
    Satisfaction.very_satisfied: "非常满意", Satisfaction.satisfied: "满意",
    Satisfaction.basically_satisfied: "基本满意", Satisfaction.neutral: "一般",
    Satisfaction.dissatisfied: "不满意", Satisfaction.very_dissatisfied: "非常不满意",
}

# the return-visit list for a human (web/review.py): why a phone visit did not end on its own
VISIT_STATUS = {"pending": "待外呼", "dialing": "外呼中", "reached": "接通未登记", "failed": "三次未接通",
                "undialable": "无可拨号码", "done": "已电话回访", "no_reply": "接通未按键", "not_called": "不电话回访",
                "superseded": "已人工处理"}
ATTEMPT_OUTCOME = {"claimed": "外呼中", "reached": "接通", "no_answer": "无人接听", "busy": "占线", "refused": "拒接",
                   "failed": "线路失败", "lost": "结果未知"}

VISIT_ANSWER = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def label(value) -> str:
    """The Chinese label of any ticket enum value, or the value itself."""
    for table in (STATE, EVENT, CATEGORY, URGENCY, CHANNEL, SATISFACTION, VISIT_ANSWER):
        if value in table:
            return table[value]
    return str(value) if value is not None else ""
