"""All models, importable from one place: ``from db.models import Line, Call``."""
from db.models.base import NAMING_CONVENTION, Base, str_enum
from db.models.calendar import CalendarDay
from db.models.callbacks import AttemptOutcome, Callback, CallbackAttempt, CallbackStatus, Purpose, callback_calls
from db.models.calls import Call, CallOutcome
from db.models.config import ConfigVersion, IvrMenu, ScheduledChange
from db.models.departments import Department, DepartmentKind
from db.models.knowledge import Article, ArticleEvent, ArticleState, ArticleUse, ArticleVersion
from db.models.kpis import (  # noqa: F401  (REPEAT_LOOKUP, UNSETTLED: the KPI queries' indexes)
    REPEAT_LOOKUP,
    UNSETTLED,
    KpiCallAgentDaily,
    KpiCallDaily,
    KpiDirtyDay,
    KpiRollupDay,
    KpiTicketDaily,
    KpiTicketSliceDaily,
)
from db.models.lines import Line, LineMode
from db.models.notifications import ApiClient, TicketNotification
from db.models.queues import Agent, Queue, QueueMember, new_sip_secret
from db.models.return_visits import FOR_A_HUMAN, ReturnVisit, ReturnVisitStatus, VisitAnswer, not_callable_because
from db.models.security import LoginThrottle, SecurityEvent
from db.models.selfservice import TicketQuery
from db.models.tickets import (
    AssignmentRole,
    Satisfaction,
    Ticket,
    TicketAssignment,
    TicketCategory,
    TicketChannel,
    TicketCounter,
    TicketEvent,
    TicketExtension,
    TicketState,
    TicketUrgency,
    ticket_calls,
)
from db.models.topics import Topic
from db.models.users import CentreSetting, Role, User

__all__ = [
    "Article",
    "ArticleEvent",
    "ArticleState",
    "ArticleUse",
    "ArticleVersion",
    "NAMING_CONVENTION",
    "Agent",
    "ApiClient",
    "AssignmentRole",
    "CalendarDay",
    "Satisfaction",
    "TicketAssignment",
    "TicketCounter",
    "TicketExtension",
    "TicketNotification",
    "TicketQuery",
    "TicketState",
    "Topic",
    "Base",
    "AttemptOutcome",
    "Call",
    "Callback",
    "CallbackAttempt",
    "CallbackStatus",
    "FOR_A_HUMAN",
    "Purpose",
    "ReturnVisit",
    "ReturnVisitStatus",
    "VisitAnswer",
    "not_callable_because",
    "callback_calls",
    "CentreSetting",
    "CallOutcome",
    "ConfigVersion",
    "IvrMenu",
    "KpiCallAgentDaily",
    "KpiCallDaily",
    "KpiDirtyDay",
    "KpiRollupDay",
    "KpiTicketDaily",
    "KpiTicketSliceDaily",
    "ScheduledChange",
    "Department",
    "DepartmentKind",
    "Line",
    "LineMode",
    "Queue",
    "QueueMember",
    "Role",
    "Ticket",
    "TicketCategory",
    "TicketChannel",
    "TicketEvent",
    "TicketUrgency",
    "User",
    "new_sip_secret",
    "LoginThrottle",
    "SecurityEvent",
    "str_enum",
    "ticket_calls",
]
