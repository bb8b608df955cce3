"""Editing keeps every version and an audit row of what changed; bad input is refused field by field."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Article, ArticleEvent, ArticleState, ArticleVersion
from db.repositories import knowledge as repo
from db.seed import seed
from knowledge.editing import PHONE_ANSWER_MAX, change_state, create_article, edit_article
from knowledge.errors import ArticleConflict, ArticleNotFound, IllegalChange, InvalidArticle

GOOD = {"title": "  居民身份证  有效期满怎么换领 ", "answer": "身份证有效期满前三个月内，可到任一派出所户籍窗口申请换领。",
        "department": "gaj", "keywords": "换证，身份证到期、换领", "phone_readable": "1"}


def test_create_keeps_version_one_and_audits_it(session):
    article = create_article(session, GOOD, "editor")
    assert article.code == "KB00051" and article.state is ArticleState.draft and article.version == 1
    assert article.title == "居民身份证 有效期满怎么换领" and article.keyword_list == ["换证", "身份证到期", "换领"]
    assert article.department.code == "gaj" and article.phone_readable is True
    assert [(v.version, v.content["title"], v.saved_by) for v in article.versions] == [(1, article.title, "editor")]
    assert [(e.action, e.actor, e.before) for e in article.events] == [("created", "editor", None)]


def test_every_edit_keeps_the_previous_version_and_audits_before_and_after(session):
    edit_article(session, "KB00001", {"title": "住房公积金提取条件和办理渠道", "valid_to": "2027-12-31"}, "editor",
                 version=1, reason="政策更新")
    article = repo.by_code(session, "KB00001")
    assert article.version == 2
    versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                               .order_by(ArticleVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content["title"] == "住房公积金怎么提取？提取条件和办理方式"
    assert versions[1].content["title"] == "住房公积金提取条件和办理渠道" and versions[1].content["valid_to"] == "2027-12-31"
    event = session.scalars(select(ArticleEvent).where(ArticleEvent.article_id == article.id)
                            .order_by(ArticleEvent.id.desc())).first()
    assert (event.action, event.actor, event.reason) == ("edited", "editor", "政策更新")
    assert event.before == {"title": "住房公积金怎么提取？提取条件和办理方式", "valid_to": None}
    assert event.after == {"title": "住房公积金提取条件和办理渠道", "valid_to": "2027-12-31"}

    # a save that changes nothing writes nothing
    edit_article(session, "KB00001", {"title": "住房公积金提取条件和办理渠道"}, "editor", version=2)
    assert article.version == 2
    assert session.scalar(select(func.count()).select_from(ArticleVersion)
                          .where(ArticleVersion.article_id == article.id)) == 2


def test_a_save_over_a_newer_version_is_refused(session):
    edit_article(session, "KB00002", {"keywords": "租房提取"}, "editor", version=1)
    with pytest.raises(ArticleConflict) as refused:
        edit_article(session, "KB00002", {"keywords": "房租"}, "admin", version=1)
    assert "reload" in refused.value.message and refused.value.status == 409
    assert repo.by_code(session, "KB00002").keywords == "租房提取"
    with pytest.raises(InvalidArticle):
        edit_article(session, "KB00002", {"keywords": "房租"}, "admin", version="two")
    with pytest.raises(ArticleNotFound):
        edit_article(session, "KB99999", {"keywords": "房租"}, "admin")


def test_bad_input_is_refused_field_by_field(session):
    with pytest.raises(InvalidArticle) as refused:
        create_article(session, {"title": "", "answer": "太短", "department": "atlantis", "topic": "nope",
                                 "valid_from": "2026-13-01", "phone_readable": "maybe", "keywords": 7}, "editor")
    assert set(refused.value.fields) == {"title", "answer", "department", "topic", "valid_from", "phone_readable",
                                         "keywords"}
    with pytest.raises(InvalidArticle) as refused:
        create_article(session, {**GOOD, "valid_from": "2027-01-01", "valid_to": "2026-12-31"}, "editor")
    assert refused.value.fields == {"valid_to": "ends (2026-12-31) before it starts (2027-01-01)"}
    with pytest.raises(InvalidArticle) as refused:
        create_article(session, {**GOOD, "answer": "长" * (PHONE_ANSWER_MAX + 1)}, "editor")
    assert set(refused.value.fields) == {"phone_readable"}
    # an edit is checked against what it does not change, too
    with pytest.raises(InvalidArticle) as refused:
        edit_article(session, "KB00027", {"valid_to": "2026-11-01"}, "editor")
    assert "before it starts (2026-11-15)" in refused.value.fields["valid_to"]
    assert session.scalar(select(func.count()).select_from(Article)) == 50


def test_publish_and_retire_follow_the_declared_changes(session):
    article = create_article(session, GOOD, "editor")
    change_state(session, article.code, "retire", "editor")        # a draft may be retired without publishing
    with pytest.raises(IllegalChange):
        change_state(session, article.code, "retire", "editor")
    assert article.state is ArticleState.retired
    change_state(session, article.code, "publish", "editor", reason="恢复")
    assert article.state is ArticleState.published and article.version == 3
    with pytest.raises(IllegalChange):
        change_state(session, article.code, "publish", "editor")
    with pytest.raises(InvalidArticle):
        change_state(session, article.code, "delete", "editor")
    assert [e.action for e in article.events] == ["created", "retired", "published"]
    assert article.events[-1].before == {"state": "retired"} and article.events[-1].after == {"state": "published"}


def test_the_seed_creates_missing_articles_and_never_overwrites_an_editors_work(session):
    edit_article(session, "KB00016", {"title": "停水报修和停水通知查询"}, "editor")
    again = seed(session)
    assert again["knowledge_articles"] == {"created": 0, "updated": 0}
    assert repo.by_code(session, "KB00016").title == "停水报修和停水通知查询"
    assert session.scalar(select(func.count()).select_from(Article)) == 50
    assert " " not in repo.by_code(session, "KB00001").answer  # folded YAML lines are joined without spaces
