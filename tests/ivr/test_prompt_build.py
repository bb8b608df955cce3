"""`build` really runs espeak-ng and sox, keeps what a person recorded, and does nothing twice."""
from __future__ import annotations

import array
import math
import wave

import pytest

from hotline.config import Settings
from hotline.errors import HotlineError
from ivr import prompts
from ivr.menu import menus_from_data
from ivr.prompt_texts import PromptText, Segment, load_texts

pytestmark = pytest.mark.timeout(120)


def text(language, name, *segments) -> PromptText:
    segs = tuple(Segment(*s) if isinstance(s, tuple) else Segment(language, s) for s in segments)
    return PromptText(language, name, segs)


TEXTS = {(p.language, p.name): p for p in [
    text("zh", "welcome", "您好，欢迎致电幺二三四五市民服务热线。"),
    text("zh", "menu-main", "人工服务请按1。", ("en", "For English service, press 9.")),
    text("zh", "invalid-key", "您的按键有误。"),
    text("zh", "digits/5", "五"),
    text("en", "welcome", "Welcome to the 1 2 3 4 5 citizen service hotline."),
]}


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run")})


def shape(path):
    """(rate, channels, sample width, seconds, peak amplitude 0..1)."""
    with wave.open(str(path), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        return (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate(),
                max(abs(s) for s in samples) / 32768)


def record(path, rate=8000, channels=1, seconds=0.5):
    """A person's recording: a tone, in a wav of the given shape."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / rate))
                               for i in range(int(rate * seconds)) for _ in range(channels)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return path.read_bytes()


def test_build_writes_8khz_mono_16bit_speech(settings):
    report = prompts.build(settings, texts=TEXTS)
    assert sorted(report.generated) == sorted(p.relative_path for p in TEXTS.values())
    root = settings.prompts_dir
    for p in TEXTS.values():
        rate, channels, width, seconds, peak = shape(root / p.relative_path)
        assert (rate, channels, width) == (8000, 1, 2), p.relative_path
        assert seconds > 0.2 and peak > 0.3, f"{p.relative_path}: {seconds:.2f} s, peak {peak:.2f}: not speech"
    assert (root / "zh" / "digits" / "5.wav").exists()        # sub-folders for Asterisk's say-number
    # the English segment is spoken too: the mixed prompt is much longer than its Mandarin part alone
    mixed = shape(root / "zh/menu-main.wav")[3]
    alone = prompts.build(Settings.from_env({"HOTLINE_RUN_DIR": str(root.parent / "alone")}),
                          texts={("zh", "m"): text("zh", "m", "人工服务请按1。")})
    assert alone.generated == ["zh/m.wav"]
    assert mixed > shape(root.parent / "alone/prompts/zh/m.wav")[3] + 1.0


def test_second_build_changes_nothing(settings):
    prompts.build(settings, texts=TEXTS)
    before = {p: p.stat().st_mtime_ns for p in settings.prompts_dir.rglob("*.wav")}
    report = prompts.build(settings, texts=TEXTS)
    assert report.generated == [] and report.removed == [] and report.recorded == []
    assert sorted(report.unchanged) == sorted(p.relative_path for p in TEXTS.values())
    assert report.seconds < 1.0
    assert {p: p.stat().st_mtime_ns for p in settings.prompts_dir.rglob("*.wav")} == before


def test_a_changed_text_remakes_only_that_prompt(settings):
    prompts.build(settings, texts=TEXTS)
    changed = dict(TEXTS)
    changed[("zh", "invalid-key")] = text("zh", "invalid-key", "按键无效，请重新选择。")
    report = prompts.build(settings, texts=changed)
    assert report.generated == ["zh/invalid-key.wav"]
    assert len(report.unchanged) == len(TEXTS) - 1


def test_force_remakes_generated_prompts_but_not_recordings(settings):
    recorded = record(settings.prompts_dir / "zh/welcome.wav")
    prompts.build(settings, texts=TEXTS)
    report = prompts.build(settings, texts=TEXTS, force=True)
    assert "zh/welcome.wav" not in report.generated
    assert len(report.generated) == len(TEXTS) - 1
    assert (settings.prompts_dir / "zh/welcome.wav").read_bytes() == recorded


def test_a_recording_dropped_in_before_the_first_build_wins(settings):
    recorded = record(settings.prompts_dir / "zh/welcome.wav")
    report = prompts.build(settings, texts=TEXTS)
    assert report.recorded == ["zh/welcome.wav"]
    assert report.warnings == []
    assert (settings.prompts_dir / "zh/welcome.wav").read_bytes() == recorded


def test_a_recording_that_replaces_a_generated_prompt_is_kept_even_when_the_text_changes(settings):
    prompts.build(settings, texts=TEXTS)
    recorded = record(settings.prompts_dir / "en/welcome.wav")
    changed = dict(TEXTS)
    changed[("en", "welcome")] = text("en", "welcome", "Hello and welcome.")
    for _ in range(2):
        report = prompts.build(settings, texts=changed, force=True)
        assert "en/welcome.wav" in report.recorded
        assert (settings.prompts_dir / "en/welcome.wav").read_bytes() == recorded


def test_a_recording_in_another_format_replaces_the_generated_wav(settings):
    prompts.build(settings, texts=TEXTS)
    gsm = settings.prompts_dir / "zh/welcome.gsm"
    gsm.write_bytes(b"\xd8" * 330)   # content does not matter: Asterisk reads it, we never touch it
    report = prompts.build(settings, texts=TEXTS)
    assert report.recorded == ["zh/welcome.gsm"]
    assert not (settings.prompts_dir / "zh/welcome.wav").exists()   # would compete with the recording
    assert prompts.resolve(settings, "zh", "welcome") == gsm
    assert gsm.read_bytes() == b"\xd8" * 330


def test_a_recording_asterisk_cannot_play_is_kept_with_a_warning(settings):
    record(settings.prompts_dir / "zh/welcome.wav", rate=44100, channels=2)
    report = prompts.build(settings, texts=TEXTS)
    assert report.recorded == ["zh/welcome.wav"]
    assert len(report.warnings) == 1
    assert "44100 Hz, 2 channel(s)" in report.warnings[0] and "sox" in report.warnings[0]


def test_a_prompt_whose_text_is_gone_is_removed_but_a_recording_is_not(settings):
    prompts.build(settings, texts=TEXTS)
    recorded = record(settings.prompts_dir / "en/welcome.wav")
    fewer = {k: v for k, v in TEXTS.items() if k not in {("zh", "invalid-key"), ("en", "welcome")}}
    report = prompts.build(settings, texts=fewer)
    assert report.removed == ["zh/invalid-key.wav"]
    assert not (settings.prompts_dir / "zh/invalid-key.wav").exists()
    assert (settings.prompts_dir / "en/welcome.wav").read_bytes() == recorded


def test_an_unreadable_manifest_makes_every_file_count_as_recorded(settings):
    prompts.build(settings, texts=TEXTS)
    before = (settings.prompts_dir / "zh/welcome.wav").read_bytes()
    (settings.prompts_dir / prompts.MANIFEST).write_text("{not json")
    report = prompts.build(settings, texts=TEXTS, force=True)
    assert report.generated == []
    assert len(report.recorded) == len(TEXTS)
    assert (settings.prompts_dir / "zh/welcome.wav").read_bytes() == before


def test_missing_espeak_says_how_to_install_it(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(HotlineError) as caught:
        prompts.build(settings, texts=TEXTS)
    assert "espeak-ng" in caught.value.problem
    assert caught.value.fix == "apt-get install -y espeak-ng sox"


def test_resolve_and_missing(settings):
    menus = menus_from_data({"m": {"prompt": "menu-main", "options": {"1": "agent"}}})
    before = prompts.missing(settings, menus)
    assert "zh/menu-main" in before and "en/menu-main" in before and "zh/welcome" in before
    with pytest.raises(prompts.PromptMissing, match="prompt zh/welcome is missing"):
        prompts.resolve(settings, "zh", "welcome")
    prompts.build(settings, texts=TEXTS)
    assert prompts.resolve(settings, "zh", "welcome") == settings.prompts_dir / "zh/welcome.wav"
    after = prompts.missing(settings, menus)
    assert "zh/menu-main" not in after and "zh/welcome" not in after
    assert "en/menu-main" in after                              # not in TEXTS: still missing


def test_prompt_text_files_with_segments(tmp_path):
    (tmp_path / "zh.yaml").write_text("a: 你好\nb:\n  - 请按1\n  - {en: press 1}\n", encoding="utf-8")
    texts = load_texts(tmp_path)
    assert texts[("zh", "b")].segments == (Segment("zh", "请按1"), Segment("en", "press 1"))
    (tmp_path / "en.yaml").write_text("c:\n  - {fr: bonjour}\n", encoding="utf-8")
    with pytest.raises(HotlineError, match="en.yaml: c: each segment"):
        load_texts(tmp_path)
