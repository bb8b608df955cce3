"""One name prompt per department (dept-<code>), built with the shipped prompt texts."""
from __future__ import annotations

import datetime as dt

from db.migrate import upgrade
from db.models import Department
from db.seed import seed
from db.session import make_engine, make_session_factory, session_scope
from hotline.tts import Segment
from ivr.department_prompts import all_texts, department_prompt_name, department_texts
from ivr.faq import article_texts
from ivr.prompt_texts import shipped_texts


def test_prompt_names_are_valid_whatever_the_code():
    assert department_prompt_name("rsj") == "dept-rsj"
    assert department_prompt_name("Water_Co.2") == "dept-water-co-2"


def test_every_department_has_a_mandarin_and_an_english_text(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        seed(session)
        count = session.query(Department).count()
        texts = department_texts(session)
        everything = all_texts(session)
        articles = article_texts(session, dt.date.today())
    engine.dispose()
    assert len(texts) == 2 * count
    assert texts[("zh", "dept-rsj")].segments == (Segment("zh", "济南市人力资源和社会保障局"),)
    assert texts[("en", "dept-rsj")].segments == (Segment("en", "Municipal Human Resources and Social Security Bureau"),)
    assert articles and all(name.startswith("kb/") for _, name in articles)   # the FAQ articles' (ivr.faq)
    assert set(everything) == set(shipped_texts()) | set(texts) | set(articles)
