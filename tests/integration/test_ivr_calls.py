"""Real calls through the IVR: whatever the citizen does (or does not), a human answers; FAQ by phone (key 3)."""
from __future__ import annotations

import math
import wave

import pytest
from sqlalchemy import select

from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


def test_no_key_at_all_reaches_a_human(hotline):
    record = hotline.call("12345", "--hangup-after", "14")     # greeting-menu ~7 s + 2 s silence
    assert record["ivr_path"] == "t"
    assert record["outcome"] == "answered" and record["queue"] == "12345"


def test_wrong_key_twice_reaches_a_human(hotline):
    # "5" interrupts the menu → "wrong key" and the menu again → "5" again → a person
    record = hotline.call("12345", "--dtmf", "5wwwwww5", "--dtmf-delay", "1", "--hangup-after", "6")
    assert record["ivr_path"] == "xx"
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"


def test_language_key_switches_to_the_english_desk(hotline):
    record = hotline.call("12345", "--dtmf", "9", "--dtmf-delay", "1", "--hangup-after", "9")
    assert record["ivr_path"] == "9" and record["language"] == "en"
    assert record["queue"] == "english" and record["outcome"] == "answered"
    assert record["agent"]["number"] in {"1003", "1004"}      # the English-speaking agents


def test_self_service_key_on_12333_goes_to_the_department_system(hotline):
    # the line's greeting (~7 s, not interruptible), then its menu: "1" = self-service query
    record = hotline.call("12333", "--dtmf", "1", "--dtmf-delay", "8.5", "--hangup-after", "5")
    assert record["ivr_path"] == "1" and record["line"]["mode"] == "self_service"
    assert record["outcome"] == "self_served" and record["department"]["code"] == "rsj"


def test_hanging_up_in_the_middle_of_the_menu_is_an_abandon_without_errors(hotline):
    before = hotline.agi_log()
    record = hotline.call("12345", "--hangup-after", "2")
    assert record["outcome"] == "abandoned" and record["agent"] is None
    new_log = hotline.agi_log()[len(before):]
    assert "Traceback" not in new_log and " ERROR " not in new_log, new_log


# --- FAQ by phone (电话常见问题): key 3 on the 12345 menu (agi/handlers/faq.py, ivr/faq.py) -----------------

def _seconds(hotline, name: str, language: str = "zh") -> float:
    with wave.open(str(hotline.settings.prompts_dir / language / f"{name}.wav"), "rb") as w:
        return w.getnframes() / w.getframerate()


def _pause(seconds: float) -> str:
    """DTMF pause of at least ``seconds`` ('w' = 0.5 s)."""
    return "w" * math.ceil(seconds * 2)


def _offered(hotline, language: str = "zh"):
    """What the FAQ offers a 12345 call right now: the handler's own selection over the same prompts folder."""
    from ivr import faq
    from ivr.prompts import exists

    settings = hotline.settings
    with hotline.session_factory()() as s:
        return faq.choices(s, language=language, department_id=None, on=settings.local_now().date(), count=5,
                           prompt_exists=lambda lang, name: exists(settings, lang, name))


def _played_in(hotline, record) -> list[str]:
    """The files Asterisk played on this call ('Playing' lines tagged with the call's [C-…] id), in order."""
    text = (hotline.pbx.base_dir / "log" / "messages").read_text(errors="replace")
    tag = next((line.split("][", 1)[1].split("]", 1)[0] for line in text.splitlines()
                if f"__HOTLINE_CALLER_UID={record['uniqueid']}" in line), None)
    assert tag, f"call {record['uniqueid']} not in the PBX log"
    return [line.split("Playing '", 1)[1].split("'", 1)[0].rsplit(".", 1)[0] for line in text.splitlines()
            if f"[{tag}]" in line and "Playing '" in line]


def _uses(hotline, uniqueid: str) -> list[tuple[str, int, str]]:
    from db.models import Article, ArticleUse, Call

    with hotline.session_factory()() as s:
        call = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
        return [(code, version, used_by) for code, version, used_by in s.execute(
            select(Article.code, ArticleUse.article_version, ArticleUse.used_by)
            .join(Article, Article.id == ArticleUse.article_id).where(ArticleUse.call_id == call.id))]


def test_faq_caller_picks_an_article_hears_it_again_and_hangs_up_self_served(hotline):
    offered = _offered(hotline)
    assert [c.key for c in offered] == ["1", "2", "3", "4", "5"]
    first = offered[0]
    answer = _seconds(hotline, first.answer_prompt)
    # "3" interrupts the menu; "1" interrupts the list; "1" again during "1 again, 0 an agent"; hang up in it
    record = hotline.call("12345", "--dtmf", f"3wwww1{_pause(answer + 1.5)}1", "--dtmf-delay", "1",
                          "--hangup-after", f"{answer + 2.5:.1f}")
    assert record["ivr_path"] == "3>11"
    assert record["outcome"] == "self_served" and record["agent"] is None
    assert record["faq_articles"] == [first.code]
    assert _uses(hotline, record["uniqueid"]) == [(first.code, first.version, "ivr")]   # one use per call
    played = _played_in(hotline, record)
    assert played.count(f"hotline/{first.answer_prompt}") == 2
    assert f"hotline/{offered[1].answer_prompt}" not in played
    assert f"hotline/{first.title_prompt}" in played and "hotline/faq-after" in played


def test_faq_wrong_key_gets_one_retry_then_an_agent(hotline):
    record = hotline.call("12345", "--dtmf", "3wwww7wwwwwwww8", "--dtmf-delay", "1", "--hangup-after", "8")
    assert record["ivr_path"] == "3>xx"
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"
    assert record["faq_articles"] == []
    played = _played_in(hotline, record)
    assert played.count("hotline/invalid-key") == 2 and played.count("hotline/faq-intro") == 2


def test_faq_silence_reaches_an_agent(hotline):
    offered = _offered(hotline)
    listing = _seconds(hotline, "faq-intro") + _seconds(hotline, "faq-agent") + sum(
        _seconds(hotline, c.title_prompt) + _seconds(hotline, "faq-press") + 0.6 for c in offered)
    record = hotline.call("12345", "--dtmf", "3", "--dtmf-delay", "1", "--hangup-after", f"{listing + 5 + 9:.0f}")
    assert record["ivr_path"] == "3>t"
    assert record["outcome"] == "answered" and record["agent"] is not None and record["faq_articles"] == []
    played = _played_in(hotline, record)
    assert all(f"hotline/{c.title_prompt}" in played for c in offered)
    assert not any(f"hotline/{c.answer_prompt}" in played for c in offered)


def test_an_edited_article_gets_a_new_prompt_from_the_worker_and_the_old_one_is_never_played(hotline):
    from db.models import Article
    from tests.support.web import csrf_of, log_in, post_form

    first = _offered(hotline)[0]
    old_file = hotline.settings.prompts_dir / "zh" / f"{first.answer_prompt}.wav"
    assert old_file.exists()
    hotline.start_service("worker")
    try:
        editor = hotline.web_app().test_client()
        assert log_in(editor, "editor", hotline.passwords["editor"]).status_code == 302
        editor.csrf = csrf_of(editor)
        with hotline.session_factory()() as s:
            article = s.scalar(select(Article).where(Article.code == first.code))
            fields = {"version": str(article.version), "title": article.title, "keywords": article.keywords,
                      "department": article.department.code if article.department else "",
                      "topic": article.topic.code if article.topic else "", "phone_readable": "1",
                      "title_en": article.title_en or "", "answer_en": article.answer_en or "",
                      "phone_order": str(article.phone_order or ""), "reason": "答复时限写明",
                      "answer": "拨打幺二三四五可以反映各类非紧急的政务服务诉求，简单问题当场答复，其他诉求一般五个工作日内答复。"}
        saved = post_form(editor, f"/knowledge/{first.code}", **fields)
        assert saved.status_code == 302, saved.get_data(as_text=True)
        edited = wait_for(lambda: next((c for c in _offered(hotline) if c.code == first.code
                                        and c.answer_prompt != first.answer_prompt), None),
                          60, "the worker built the edited article's new prompt", interval=0.5)
    finally:
        hotline.stop_service("worker")
    assert edited.version == first.version + 1 and edited.key == "1"
    assert not old_file.exists()                                      # the old text's sound is gone
    answer = _seconds(hotline, edited.answer_prompt)
    record = hotline.call("12345", "--dtmf", "3wwww1", "--dtmf-delay", "1", "--hangup-after", f"{answer + 2:.1f}")
    played = _played_in(hotline, record)
    assert f"hotline/{edited.answer_prompt}" in played and f"hotline/{first.answer_prompt}" not in played, played
    assert record["ivr_path"] == "3>1" and record["outcome"] == "self_served"
    assert _uses(hotline, record["uniqueid"]) == [(first.code, edited.version, "ivr")]
