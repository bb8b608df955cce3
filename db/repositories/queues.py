"""Queues (队列) with their members, in one round of queries (queues.conf, QueueAdd resync)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Queue, QueueMember


def all_with_members(session: Session) -> list[Queue]:
    return list(
        session.scalars(
            select(Queue)
            .options(
                selectinload(Queue.members).selectinload(QueueMember.agent),
                selectinload(Queue.overflow_queue),
            )
            .order_by(Queue.name)
        )
    )
