"""Queries, one small module per aggregate: ``from db.repositories import lines``."""
from db.repositories import agents, calls, departments, lines, queues

__all__ = ["agents", "calls", "departments", "lines", "queues"]
