"""knowledge base (知识库): articles, versions, audit trail, uses, and the full-text search index

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01

The search index is per dialect, over the jieba-segmented text that
``db.repositories.knowledge`` writes on every save:
- SQLite: an FTS5 virtual table (title, keywords, body; rowid = article id),
  unicode61 tokenizer, so the space-separated Chinese words are its tokens;
- PostgreSQL: a table of ``tsvector`` (the 'simple' configuration over the same
  space-separated words, title weighted A, keywords B, body D) with a GIN index.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENUM = sa.String(length=16)
SEARCH_INDEX_TABLE = "knowledge_search"  # db.models.knowledge.SEARCH_INDEX_TABLE when this was written


def upgrade() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("keywords", sa.String(length=500), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("phone_readable", sa.Boolean(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name="fk_knowledge_articles_department_id_departments", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name="fk_knowledge_articles_topic_id_topics",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_articles"),
        sa.UniqueConstraint("code", name="uq_knowledge_articles_code"),
    )
    op.create_index("ix_knowledge_articles_state", "knowledge_articles", ["state"])

    op.create_table(
        "knowledge_article_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["knowledge_articles.id"],
                                name="fk_knowledge_article_events_article_id_knowledge_articles", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_article_events"),
    )
    op.create_index("ix_knowledge_article_events_article_id", "knowledge_article_events", ["article_id"])

    op.create_table(
        "knowledge_article_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["knowledge_articles.id"],
                                name="fk_knowledge_article_uses_article_id_knowledge_articles", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_knowledge_article_uses_call_id_calls",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_knowledge_article_uses_ticket_id_tickets",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_article_uses"),
    )
    op.create_index("ix_knowledge_article_uses_article_used_at", "knowledge_article_uses", ["article_id", "used_at"])
    op.create_index("ix_knowledge_article_uses_call_id", "knowledge_article_uses", ["call_id"])
    op.create_index("ix_knowledge_article_uses_ticket_id", "knowledge_article_uses", ["ticket_id"])

    op.create_table(
        "knowledge_article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["knowledge_articles.id"],
                                name="fk_knowledge_article_versions_article_id_knowledge_articles",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_article_versions"),
        sa.UniqueConstraint("article_id", "version", name="uq_knowledge_article_versions_article_version"),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TABLE {SEARCH_INDEX_TABLE} ("
                   " article_id integer PRIMARY KEY REFERENCES knowledge_articles (id) ON DELETE CASCADE,"
                   " document tsvector NOT NULL)")
        op.execute(f"CREATE INDEX ix_{SEARCH_INDEX_TABLE}_document ON {SEARCH_INDEX_TABLE} USING gin (document)")
    else:
        op.execute(f"CREATE VIRTUAL TABLE {SEARCH_INDEX_TABLE} USING fts5("
                   "title, keywords, body, tokenize = 'unicode61 remove_diacritics 2')")


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {SEARCH_INDEX_TABLE}")
    op.drop_table("knowledge_article_versions")
    op.drop_index("ix_knowledge_article_uses_ticket_id", table_name="knowledge_article_uses")
    op.drop_index("ix_knowledge_article_uses_call_id", table_name="knowledge_article_uses")
    op.drop_index("ix_knowledge_article_uses_article_used_at", table_name="knowledge_article_uses")
    op.drop_table("knowledge_article_uses")
    op.drop_index("ix_knowledge_article_events_article_id", table_name="knowledge_article_events")
    op.drop_table("knowledge_article_events")
    op.drop_index("ix_knowledge_articles_state", table_name="knowledge_articles")
    op.drop_table("knowledge_articles")
