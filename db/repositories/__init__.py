"""Queries, one small module per aggregate: ``from db.repositories import lines``."""
from db.repositories import agents, calendar, calls, departments, lines, queues

__all__ = ["agents", "calendar", "calls", "departments", "lines", "queues"]
