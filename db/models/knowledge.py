"""Knowledge base (知识库): articles agents read to answer on the call, their versions and audit trail.

An article is found by full-text search over its jieba-segmented text. The
search index itself is not an ORM table: on SQLite it is an FTS5 virtual table,
on PostgreSQL a ``tsvector`` table with a GIN index, both named
``SEARCH_INDEX_TABLE`` and kept in sync by ``db.repositories.knowledge`` on
every write. ``is_search_index_table`` tells schema comparisons to leave them be.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.calls import Call
from db.models.departments import Department
from db.models.tickets import Ticket
from db.models.topics import Topic
from db.session import utcnow

SEARCH_INDEX_TABLE = "knowledge_search"
IVR_USER = "ivr"   # ArticleUse.used_by of an answer the IVR read out (FAQ by phone, 电话常见问题)


def is_search_index_table(name: str) -> bool:
    """The search index and, on SQLite, the FTS5 shadow tables behind it (knowledge_search_data, ...)."""
    return name == SEARCH_INDEX_TABLE or name.startswith(SEARCH_INDEX_TABLE + "_")


class ArticleState(enum.StrEnum):
    draft = "draft"            # 草稿: not yet shown to agents
    published = "published"    # 已发布: found by search inside its validity window
    retired = "retired"        # 已下线: kept for the record, never found


class Article(Base):
    """知识库条目: one question with the answer an agent may give."""

    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # "KB0001"
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    keywords: Mapped[str] = mapped_column(String(500), default="")  # comma separated
    valid_from: Mapped[dt.date | None]   # 生效日期, inclusive; none: since ever
    valid_to: Mapped[dt.date | None]     # 失效日期, inclusive; none: open-ended
    phone_readable: Mapped[bool] = mapped_column(default=False)  # 可电话播报: may be read out by the IVR
    title_en: Mapped[str | None] = mapped_column(String(200))   # English question, for English calls (FAQ by phone)
    answer_en: Mapped[str | None] = mapped_column(Text)         # English answer; none: not offered on English calls
    phone_order: Mapped[int | None]   # 播报顺序: editors' order among equally asked articles (IVR FAQ); none: last
    state: Mapped[ArticleState] = mapped_column(str_enum(ArticleState), default=ArticleState.draft, index=True)
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock; equals the newest ArticleVersion
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))

    department: Mapped[Department | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan")
    events: Mapped[list[ArticleEvent]] = relationship(
        back_populates="article", order_by="ArticleEvent.id", cascade="all, delete-orphan")

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in (part.strip() for part in self.keywords.replace("，", ",").split(",")) if k]

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class ArticleVersion(Base):
    """版本: the article as it was saved; every save adds one, none is ever changed."""

    __tablename__ = "knowledge_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_knowledge_article_versions_article_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)  # every editable field, as ``ArticleVersion.snapshot`` gives it
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    saved_by: Mapped[str] = mapped_column(String(64))

    article: Mapped[Article] = relationship(back_populates="versions")


class ArticleEvent(Base):
    """审计记录: who did what to an article, when, with the fields before and after."""

    __tablename__ = "knowledge_article_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # created, edited, published, retired
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    before: Mapped[dict | None] = mapped_column(JSON)  # only the fields that changed
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(255))

    article: Mapped[Article] = relationship(back_populates="events")


class ArticleUse(Base):
    """引用: the article answered this call or ticket (直办 with a reference); gives usage figures."""

    __tablename__ = "knowledge_article_uses"
    __table_args__ = (Index("ix_knowledge_article_uses_article_used_at", "article_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    article_version: Mapped[int]  # the version the agent read out
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    used_by: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship()
    call: Mapped[Call | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


def snapshot(article: Article) -> dict:
    """The editable fields of ``article`` as plain JSON values (for versions and the audit trail)."""
    return {
        "title": article.title,
        "answer": article.answer,
        "department": article.department.code if article.department else None,
        "topic": article.topic.code if article.topic else None,
        "keywords": article.keywords,
        "valid_from": article.valid_from.isoformat() if article.valid_from else None,
        "valid_to": article.valid_to.isoformat() if article.valid_to else None,
        "phone_readable": article.phone_readable,
        "title_en": article.title_en,
        "answer_en": article.answer_en,
        "phone_order": article.phone_order,
        "state": article.state.value if article.state else None,
    }
