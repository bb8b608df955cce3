"""Search ranks Chinese questions well on both databases, through the real full-text index."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from db.models import Article, ArticleState
from knowledge.editing import change_state, create_article, edit_article
from knowledge.errors import InvalidArticle
from knowledge.search import search
from tests.knowledge.conftest import DEMO_DAY

# what citizens say, as the agent types it → the article that answers it
QUESTIONS = {
    "公积金怎么提取": "KB00001",
    "停水了": "KB00016",
    "我家小区停水了什么时候来水": "KB00016",
    "市民反映历下区某小区从今天早上开始停水，至今没有恢复，询问什么时候来水": "KB00016",
    "社保卡丢了怎么补办": "KB00006",
    "家里突然停电了": "KB00021",
    "闻到煤气味怎么办": "KB00025",
    "网购的衣服商家不给退货": "KB00029",
    "身份证丢了": "KB00035",
    "孩子刚出生怎么上户口": "KB00037",
    "公司拖欠工资三个月了": "KB00011",
    "去外地看病医保能报销吗": "KB00013",
    "暖气不热": "KB00027",
    "租房能提取公积金吗": "KB00002",
    "健身房老板跑路了卡里还有钱": "KB00030",
    "楼道里有人给电动车充电": "KB00048",
    "晚上工地施工太吵了": "KB00049",
}


def codes(found) -> list[str]:
    return [hit.article.code for hit in found.hits]


def test_the_relevant_article_comes_first(session):
    misses = {}
    for question, expected in QUESTIONS.items():
        found = search(session, question, on=DEMO_DAY, limit=5)
        if not codes(found) or codes(found)[0] != expected:
            misses[question] = (expected, codes(found), found.words)
    assert misses == {}
    scores = [hit.score for hit in search(session, "公积金怎么提取", on=DEMO_DAY).hits]
    assert scores == sorted(scores, reverse=True) and len(scores) > 1


def test_words_without_meaning_find_nothing_and_query_syntax_is_just_text(session):
    assert search(session, "怎么办呢？", on=DEMO_DAY).hits == []
    for hostile in ('"公积金" OR NEAR(', "公积金' | '停水", "-停水 AND (", "*", "公积金:*"):
        found = search(session, hostile, on=DEMO_DAY)   # no syntax error from FTS5 or to_tsquery
        assert all(isinstance(h.score, float) for h in found.hits)
    assert codes(search(session, '"公积金" OR NEAR(', on=DEMO_DAY))[0] in {"KB00001", "KB00004", "KB00005"}


def test_bad_search_input_names_the_field(session):
    with pytest.raises(InvalidArticle) as refused:
        search(session, "  ", on=DEMO_DAY, limit=0, department="atlantis")
    assert set(refused.value.fields) == {"q", "limit", "department"}
    with pytest.raises(InvalidArticle) as refused:
        search(session, "停" * 2001, on=DEMO_DAY)
    assert set(refused.value.fields) == {"q"}


def test_only_articles_valid_on_the_day_are_found(session):
    today = dt.date.today()
    article = create_article(session, {"title": "老旧小区加装电梯补贴申请", "answer": "符合条件的老旧小区加装电梯可以申请财政补贴，每部电梯补贴标准以通知为准。",
                                       "valid_from": (today + dt.timedelta(days=10)).isoformat(),
                                       "valid_to": (today + dt.timedelta(days=40)).isoformat()},
                             "editor", publish=True)
    session.flush()
    assert article.code not in codes(search(session, "加装电梯补贴", on=today))
    assert article.code in codes(search(session, "加装电梯补贴", on=today + dt.timedelta(days=10)))
    assert article.code in codes(search(session, "加装电梯补贴", on=today + dt.timedelta(days=40)))
    assert article.code not in codes(search(session, "加装电梯补贴", on=today + dt.timedelta(days=41)))
    assert article.code in codes(search(session, "加装电梯补贴", on=None))  # the editor's view ignores the window
    # the seeded heating-season and tax-return articles have windows too
    assert codes(search(session, "暖气不热", on=dt.date(2027, 4, 1))) == ["KB00028"]
    assert "KB00039" in codes(search(session, "个税汇算退税", on=dt.date(2026, 4, 1)))
    assert "KB00039" not in codes(search(session, "个税汇算退税", on=DEMO_DAY))


def test_drafts_and_retired_articles_are_not_found_by_default(session):
    draft = create_article(session, {"title": "地铁夜间延时运营安排", "answer": "节假日期间地铁部分线路延长运营时间，具体以运营公告为准。"},
                           "editor")
    session.flush()
    assert draft.code not in codes(search(session, "地铁延时运营", on=DEMO_DAY))
    assert draft.code in codes(search(session, "地铁延时运营", on=DEMO_DAY, states=(ArticleState.draft,)))
    change_state(session, draft.code, "publish", "editor")
    assert draft.code in codes(search(session, "地铁延时运营", on=DEMO_DAY))
    change_state(session, "KB00016", "retire", "editor", reason="并入新条目")
    assert "KB00016" not in codes(search(session, "停水了", on=DEMO_DAY))


def test_an_edit_reindexes_in_the_same_transaction(session):
    assert "KB00042" in codes(search(session, "路灯不亮", on=DEMO_DAY))
    edit_article(session, "KB00042", {"title": "城市景观亮化设施故障报修", "keywords": "亮化,景观灯",
                                      "answer": "城市景观亮化设施出现故障的，可以拨打12345报修，说明具体位置。"}, "editor")
    assert "KB00042" not in codes(search(session, "路灯不亮", on=DEMO_DAY))
    assert codes(search(session, "景观灯坏了", on=DEMO_DAY))[0] == "KB00042"


def test_the_index_is_the_databases_own(session):
    """One index row per article, and on PostgreSQL the query plan uses the GIN index (not a scan of rows)."""
    articles = session.scalar(select(func.count()).select_from(Article))
    assert session.scalar(text("SELECT count(*) FROM knowledge_search")) == articles == 50
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in session.execute(text(
            "EXPLAIN SELECT article_id FROM knowledge_search WHERE document @@ to_tsquery('simple', '''停水''')")))
        assert "ix_knowledge_search_document" in plan, plan
    else:
        plan = " ".join(str(r) for r in session.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM knowledge_search WHERE knowledge_search MATCH '\"停水\"'")))
        assert "VIRTUAL TABLE INDEX" in plan, plan
