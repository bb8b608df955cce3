"""Topics (诉求分类): the classification tree a ticket is filed under.

A topic may name the department that usually handles it, so the agent's
dispatch form can suggest it; leaf topics are the Open311 services.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.departments import Department


class Topic(Base):
    """诉求分类."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str | None] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))  # usual handler
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[str | None] = mapped_column(String(255))  # comma separated
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Topic | None] = relationship(back_populates="children", remote_side="Topic.id")
    children: Mapped[list[Topic]] = relationship(back_populates="parent", order_by="Topic.code")
    department: Mapped[Department | None] = relationship()

    @property
    def path(self) -> str:
        """"城乡建设 / 占道经营": what a ticket keeps as its topic label."""
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    def __repr__(self) -> str:
        return f"<Topic {self.code}>"
