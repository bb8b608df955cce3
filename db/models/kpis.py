"""Indexes the KPI queries (``kpis/``) need, declared on the tables they serve; no table of its own.

复重率 (repeat rate) looks, for every ticket of a period, for an earlier ticket
of the same caller on the same topic within N days: one index range scan each.
"""
from __future__ import annotations

from sqlalchemy import Index

from db.models.tickets import Ticket

REPEAT_LOOKUP = Index("ix_tickets_repeat_lookup", Ticket.caller_phone, Ticket.topic_id, Ticket.created_at)
