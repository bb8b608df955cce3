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
    Satisfaction.very_satisfied: "非常满意", Satisfaction.satisfied: "满意", Satisfaction.neutral: "一般",
    Satisfaction.dissatisfied: "不满意", Satisfaction.very_dissatisfied: "非常不满意",
}


def label(value) -> str:
    """The Chinese label of any ticket enum value, or the value itself."""
    for table in (STATE, EVENT, CATEGORY, URGENCY, CHANNEL, SATISFACTION):
        if value in table:
            return table[value]
    return str(value) if value is not None else ""
