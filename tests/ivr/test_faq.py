"""FAQ by phone (电话常见问题, ivr/faq.py): which articles a menu offers, in which order, and their prompt names.

On the seeded demo knowledge base (SQLite, then PostgreSQL), with real usage rows and real edits
through knowledge.editing; the prompts build really runs espeak-ng and sox.
"""
from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from db.models import Article, Department
from db.session import make_engine, make_session_factory
from hotline.config import Settings
from ivr import faq
from ivr.engine import run_menu
from ivr.menu import PROMPT_NAME, MenuError, menus_from_data, parse_menu
from knowledge.editing import change_state, edit_article
from knowledge.usage import record_use
from tests.ivr.fake_channel import FakeChannel
from tests.support.databases import migrate_and_seed

DAY = dt.date(2026, 12, 1)
ALL = (lambda lang, name: True)   # every prompt exists   # noqa: E731
SEEDED_ORDER = ["KB00050", "KB00016", "KB00021", "KB00006", "KB00001"]   # phone_order 1-5 in the seed


@pytest.fixture
def session(database_url):
    migrate_and_seed(database_url, users=False)
    engine = make_engine(database_url)
    s = make_session_factory(engine)()
    yield s
    s.rollback()
    s.close()
    engine.dispose()


def codes(offered):
    return [c.code for c in offered]


# --- prompt names -------------------------------------------------------------------------------------

def test_a_prompt_name_comes_from_the_code_and_the_text_and_changes_with_the_text():
    name = faq.prompt_name("KB00001", "answer", "可以申请提取住房公积金。")
    assert name.startswith("kb/kb00001-") and name.endswith("-answer") and PROMPT_NAME.fullmatch(name)
    assert faq.prompt_name("KB00001", "answer", "可以申请提取住房公积金。") == name            # stable
    assert faq.prompt_name("KB00001", "answer", "可以申请提取住房公积金！") != name            # a new text
    assert faq.prompt_name("KB00002", "answer", "可以申请提取住房公积金。") != name            # another article
    assert faq.prompt_name("KB00001", "title", "可以申请提取住房公积金。") != name
    with pytest.raises(ValueError):
        faq.prompt_name("KB00001", "keywords", "x")


def test_english_prompts_only_for_an_article_with_english_text():
    zh_only = SimpleNamespace(code="KB1", title="标题", answer="答复内容", title_en=None, answer_en="  ")
    both = SimpleNamespace(code="KB2", title="标题", answer="答复内容", title_en="Title", answer_en="The answer.")
    assert faq.article_prompts(zh_only, "en") is None
    title, answer = faq.article_prompts(zh_only, "zh")
    assert title.endswith("-title") and answer.endswith("-answer")
    assert faq.article_prompts(both, "en") == (faq.prompt_name("KB2", "title", "Title"),
                                               faq.prompt_name("KB2", "answer", "The answer."))
    assert faq.article_prompts(both, "en") != faq.article_prompts(both, "zh")


# --- what a call is offered -----------------------------------------------------------------------------

def test_without_usage_the_editors_order_decides(session):
    offered = faq.choices(session, language="zh", department_id=None, on=DAY, count=5, prompt_exists=ALL)
    assert codes(offered) == SEEDED_ORDER
    assert [c.key for c in offered] == ["1", "2", "3", "4", "5"]
    first = offered[0]
    article = session.scalar(select(Article).where(Article.code == first.code))
    assert (first.title_prompt, first.answer_prompt) == faq.article_prompts(article, "zh")
    assert first.version == article.version


def test_most_used_first_and_the_lines_department_before_the_others(session):
    record_use(session, "KB00035", "agent1001")                       # 身份证补办: used twice
    record_use(session, "KB00035", "agent1002")
    record_use(session, "KB00029", "agent1001")                       # 网购投诉: once
    offered = faq.choices(session, language="zh", department_id=None, on=DAY, count=3, prompt_exists=ALL)
    assert codes(offered) == ["KB00035", "KB00029", "KB00050"]
    gjj = session.scalar(select(Department.id).where(Department.code == "gjj"))
    offered = faq.choices(session, language="zh", department_id=gjj, on=DAY, count=6, prompt_exists=ALL)
    own = codes(offered)
    assert own[0] == "KB00001"                                        # gjj's, with its phone order 5
    assert set(own[:5]) == {"KB00001", "KB00002", "KB00003", "KB00004", "KB00005"}
    assert own[5] == "KB00035"                                        # then the most used of the others


def test_the_same_phone_order_falls_back_to_the_code_and_articles_without_one_come_last(session):
    edit_article(session, "KB00021", {"phone_order": "1"}, "editor")     # ties with KB00050
    edit_article(session, "KB00006", {"phone_order": ""}, "editor")      # no order: among the rest, by code
    session.flush()
    offered = faq.choices(session, language="zh", department_id=None, on=DAY, count=6, prompt_exists=ALL)
    assert codes(offered) == ["KB00021", "KB00050", "KB00016", "KB00001", "KB00002", "KB00003"]


def test_a_long_list_of_unspeakable_articles_is_looked_through_in_batches(session):
    english = set(SEEDED_ORDER[2:])        # the best ranked have no English: the next batches are read
    for code in SEEDED_ORDER[:2]:
        edit_article(session, code, {"title_en": "", "answer_en": ""}, "editor")
    used = [f"KB{n:05d}" for n in range(2, 40) if f"KB{n:05d}" not in english | {"KB00012", "KB00027"}][:20]
    for code in used:                      # 20 used articles rank before every English one: past the first batch
        record_use(session, code, "agent1001")
    session.flush()
    offered = faq.choices(session, language="en", department_id=None, on=DAY, count=5, prompt_exists=ALL)
    assert set(codes(offered)) == english and len(offered) == 3


def test_only_published_phone_readable_articles_valid_today(session):
    edit_article(session, "KB00050", {"phone_readable": False}, "editor")
    change_state(session, "KB00016", "retire", "editor")
    edit_article(session, "KB00021", {"valid_to": "2026-11-30"}, "editor")     # expired yesterday
    edit_article(session, "KB00006", {"valid_from": "2026-12-02"}, "editor")   # not yet
    session.flush()
    offered = faq.choices(session, language="zh", department_id=None, on=DAY, count=2, prompt_exists=ALL)
    assert codes(offered) == ["KB00001", "KB00002"]
    # the one valid tomorrow already gets its prompts built; the expired and the retired do not
    built = {name.split("-")[0] for _, name in faq.article_texts(session, DAY)}
    assert "kb/kb00006" in built and not {"kb/kb00021", "kb/kb00016", "kb/kb00050"} & built


def test_an_article_whose_prompt_is_missing_is_not_offered(session):
    missing = faq.prompt_name("KB00016", "answer", session.scalar(select(Article.answer)
                                                                    .where(Article.code == "KB00016")))
    offered = faq.choices(session, language="zh", department_id=None, on=DAY, count=5,
                          prompt_exists=lambda lang, name: name != missing)
    assert codes(offered) == ["KB00050", "KB00021", "KB00006", "KB00001", "KB00002"]
    assert [c.key for c in offered] == ["1", "2", "3", "4", "5"]      # the keys close up


def test_english_calls_hear_only_articles_with_english_text(session):
    offered = faq.choices(session, language="en", department_id=None, on=DAY, count=9, prompt_exists=ALL)
    assert codes(offered) == SEEDED_ORDER                             # the five seeded with English text
    assert all(c.answer_prompt != faq.choices(session, language="zh", department_id=None, on=DAY, count=9,
                                              prompt_exists=ALL)[i].answer_prompt for i, c in enumerate(offered))


def test_an_edited_answer_gets_a_new_prompt_and_the_old_name_is_no_longer_built(session):
    before = faq.choices(session, language="zh", department_id=None, on=DAY, count=1, prompt_exists=ALL)[0]
    old_names = set(faq.article_texts(session, DAY))
    edit_article(session, before.code, {"answer": "拨打12345可以反映各类非紧急的政务服务诉求，一般在五个工作日内答复。"},
                 "editor")
    session.flush()
    after = faq.choices(session, language="zh", department_id=None, on=DAY, count=1, prompt_exists=ALL)[0]
    assert after.code == before.code and after.version == before.version + 1
    assert after.title_prompt == before.title_prompt                 # the title did not change
    assert after.answer_prompt != before.answer_prompt
    new_names = set(faq.article_texts(session, DAY))
    assert ("zh", after.answer_prompt) in new_names - old_names
    assert ("zh", before.answer_prompt) in old_names - new_names


# --- the menu action ----------------------------------------------------------------------------------------

def test_the_faq_action_ends_the_menu_with_its_count():
    menus = menus_from_data({"m": {"prompt": "menu-main", "options": {"3": {"action": "faq", "count": 4},
                                                                     "4": "faq"}}})
    result = run_menu(FakeChannel(["3"]), "m", menus=menus)
    assert (result.action, result.target, result.queue, result.path) == ("faq", "4", "12345", "3")
    assert run_menu(FakeChannel(["4"]), "m", menus=menus).target == "5"          # the default count
    for bad in (0, 10, "5", True):
        with pytest.raises(MenuError, match="count must be a whole number from 1 to 9"):
            parse_menu("m", {"prompt": "menu-main", "options": {"3": {"action": "faq", "count": bad}}})
    with pytest.raises(MenuError, match="must end the menu"):      # silence must reach a person, not a list
        parse_menu("m", {"prompt": "menu-main", "default": "faq", "options": {"1": "agent"}})


# --- the prompts build after an edit (the rq job's work) ----------------------------------------------------

@pytest.mark.timeout(180)
def test_the_build_makes_the_new_prompt_removes_the_old_one_and_keeps_a_recording(tmp_path):
    from ivr.article_prompts import build_prompts

    database_url = f"sqlite:///{tmp_path / 'faq.db'}"   # the files are the point here; the selection runs on both
    migrate_and_seed(database_url, users=False)
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url})
    first = build_prompts(settings)
    root = settings.prompts_dir
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory() as s:
        article = s.scalar(select(Article).where(Article.code == "KB00050"))
        title, answer = faq.article_prompts(article, "zh")
        en_title, en_answer = faq.article_prompts(article, "en")
        other = faq.article_prompts(s.scalar(select(Article).where(Article.code == "KB00002")), "zh")
    assert f"zh/{answer}.wav" in first["generated"] and f"en/{en_answer}.wav" in first["generated"]
    assert (root / "zh" / f"{answer}.wav").stat().st_size > 8000
    recorded = root / "zh" / f"{other[1]}.wav"
    recording = (root / "zh" / f"{answer}.wav").read_bytes()[:-2]          # a person's recording of KB00002
    recorded.write_bytes(recording)
    with factory() as s:
        edit_article(s, "KB00050", {"answer": "拨打12345可以反映各类非紧急的政务服务诉求，一般在五个工作日内答复。"},
                     "editor")
        s.commit()
        new_answer = faq.article_prompts(s.scalar(select(Article).where(Article.code == "KB00050")), "zh")[1]
    engine.dispose()
    old_umask = os.umask(0o027)    # the rq worker's, under supervisord: Asterisk's user must still read the sound
    try:
        second = build_prompts(settings)
    finally:
        os.umask(old_umask)
    assert (root / "zh" / f"{new_answer}.wav").stat().st_mode & 0o777 == 0o644
    assert second["generated"] == [f"zh/{new_answer}.wav"]
    assert second["removed"] == [f"zh/{answer}.wav"]
    assert (root / "zh" / f"{new_answer}.wav").exists() and not (root / "zh" / f"{answer}.wav").exists()
    assert (root / "zh" / f"{title}.wav").exists() and (root / "en" / f"{en_answer}.wav").exists()
    assert recorded.read_bytes() == recording                         # a recording wins: untouched
    assert f"zh/{other[1]}.wav" not in second["generated"] + second["removed"]
    assert build_prompts(settings)["generated"] == []                 # nothing twice
