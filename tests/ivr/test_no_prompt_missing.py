"""No prompt is missing at run time: everything the menus, the inbound path and the queues play exists.

The whole shipped catalog is built once per session into a temporary folder
(espeak-ng + sox, about 2 s), then checked from every side that names prompts.
"""
from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest
import yaml

from hotline.config import PROJECT_DIR, Settings
from ivr import prompts
from ivr.menu import LANGUAGES, shipped_menus
from ivr.prompt_texts import INBOUND_PROMPTS, QUEUE_PROMPTS, ZH_DIGITS, shipped_texts

pytestmark = pytest.mark.timeout(120)

# a literal prompt played as hotline/<name>: in Python strings and in dialplan/queue configuration
PLAYED_PY = re.compile(r"""["']hotline/([a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)*)["']""")
PLAYED_CONF = re.compile(r"(?<![\w/.])hotline/([a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)*)(?![\w./{$])")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path_factory.mktemp("prompts-run"))})
    report = prompts.build(settings)
    return settings, report


def test_the_whole_catalog_builds_quickly(built):
    _, report = built
    assert len(report.generated) == len(shipped_texts())
    assert report.seconds < 30, report.summary()


def test_no_prompt_is_missing(built):
    settings, _ = built
    assert prompts.missing(settings) == []


@pytest.mark.parametrize("menu", sorted(shipped_menus()))
def test_every_prompt_a_menu_names_exists_in_both_languages(built, menu):
    settings, _ = built
    for name in shipped_menus()[menu].prompts():
        for lang in LANGUAGES:
            assert prompts.resolve(settings, lang, name).exists(), f"{menu}: {lang}/{name}"


@pytest.mark.parametrize("name", INBOUND_PROMPTS + QUEUE_PROMPTS)
def test_inbound_and_queue_prompts_exist_in_both_languages(built, name):
    settings, _ = built
    for lang in LANGUAGES:
        assert prompts.resolve(settings, lang, name).suffix == ".wav"


def test_mandarin_digits_for_asterisk_say_number(built):
    settings, _ = built
    folder = settings.prompts_dir / "zh" / "digits"
    assert sorted(p.stem for p in folder.glob("*.wav")) == sorted(Path(d).name for d in ZH_DIGITS)
    for needed in ("0", "9", "10", "90", "hundred", "thousand", "wan", "yi"):   # say.c, ast_say_number_full_zh
        assert (folder / f"{needed}.wav").exists()


def test_every_generated_file_is_asterisk_wav(built):
    settings, report = built
    for rel in report.generated:
        with wave.open(str(settings.prompts_dir / rel), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2), rel
            assert w.getnframes() > 8000 * 0.2, rel


def test_both_languages_have_the_same_prompts_but_digits():
    names = {lang: {n for (language, n) in shipped_texts() if language == lang} for lang in LANGUAGES}
    assert names["zh"] - set(ZH_DIGITS) == names["en"]


def test_prompts_other_code_plays_by_name_have_texts():
    """The inbound path and the Asterisk configuration play hotline/<name>: each must be generated."""
    played = set()
    for path in (PROJECT_DIR / "agi").rglob("*.py"):
        played |= set(PLAYED_PY.findall(path.read_text(encoding="utf-8")))
    for path in (PROJECT_DIR / "asterisk_conf").rglob("*.conf"):
        played |= set(PLAYED_CONF.findall(path.read_text(encoding="utf-8")))
    assert "welcome" in played                                  # the scan finds what it should
    for name in sorted(played):
        for lang in LANGUAGES:
            assert (lang, name) in shipped_texts(), f"hotline/{name} is played but has no {lang} text"


def test_seed_lines_name_existing_menus_and_greetings():
    lines = yaml.safe_load((PROJECT_DIR / "db" / "seed_data" / "lines.yaml").read_text(encoding="utf-8"))
    menus = {line["ivr_menu"] for line in lines if line.get("ivr_menu")}
    greetings = {line["greeting"] for line in lines if line.get("greeting")}
    assert menus and greetings
    assert menus <= set(shipped_menus()), f"seed lines name menus that do not exist: {menus - set(shipped_menus())}"
    for greeting in greetings:
        assert ("zh", greeting) in shipped_texts(), f"line greeting {greeting} has no text"
