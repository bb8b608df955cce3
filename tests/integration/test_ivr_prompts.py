"""The real Asterisk finds the generated prompts by channel language, and the IVR runs over real AGI.

A Local channel into the agents' echo test (``*43@agents``) runs ``AGI()`` to a
FastAGI server of this test; its handler plays prompts, says a number in
Mandarin and runs two one-key menus (zh, then en) that time out.
"""
from __future__ import annotations

import threading

import pytest
from asterisk.agi import AGIAppError

from agi.ivr_channel import AgiChannel
from agi.server import FastAgiServer
from ivr import prompts
from ivr.department_prompts import all_texts
from ivr.engine import run_menu
from ivr.menu import menus_from_data
from ops.asterisk.sounds import build_data_dir

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

QUICK = menus_from_data({
    "quick": {"prompt": "goodbye", "timeout": 1, "options": {"1": "agent"}},
    "quick-en": {"prompt": "goodbye", "timeout": 1, "language": "en", "options": {"1": "agent"}},
})


def test_asterisk_plays_generated_prompts_in_the_channels_language(hotline):
    settings = hotline.settings
    with hotline.session_factory()() as session:      # the texts the installation's render builds: the shipped
        texts = all_texts(session)                     # ones and the department names, none pruned
    prompts.build(settings, texts=texts)
    assert prompts.missing(settings) == []
    pbx = hotline.pbx
    # zh/digits did not exist when the fixture rendered the data folder: link it as a render does
    build_data_dir(pbx.base_dir / "data", pbx.binary.root, pbx.binary.data_dir, settings.prompts_dir)

    messages = pbx.base_dir / "log" / "messages"
    mark = messages.stat().st_size             # what Asterisk logs from here: this test's channel only
    seen: dict = {}
    done = threading.Event()

    def ivr_check(req):
        try:
            seen["language"] = req.get_variable("CHANNEL(language)")
            req.agi.stream_file("hotline/welcome")              # raises AGIAppError if Asterisk has no file
            try:
                req.agi.stream_file("hotline/no-such-prompt")
                seen["missing"] = "played"
            except AGIAppError:
                seen["missing"] = "refused"                     # the same check fails when it should
            req.agi.say_number(12345)                           # 一万二千三百四十五, Asterisk's own zh digits
            channel = AgiChannel(req.agi)
            seen["zh"] = run_menu(channel, "quick", language="zh", menus=QUICK)
            seen["en"] = run_menu(channel, "quick-en", language="zh", menus=QUICK)
        finally:
            done.set()

    with FastAgiServer("127.0.0.1", 0, {"ivr-check": ivr_check}, hotline.session_factory()) as server:
        server.start_in_thread(poll_interval=0.05)
        with hotline.pbx_ami() as ami:
            reply = ami.action("Originate", Channel="Local/*43@agents", Application="AGI",
                               Data=f"agi://127.0.0.1:{server.server_address[1]}/ivr-check",
                               Variable="CHANNEL(language)=zh", Async="true", Timeout="10000")
            assert reply.get("Response") == "Success", reply
        assert done.wait(60), "the AGI never ran"

    assert seen["language"] == "zh"
    assert seen["missing"] == "refused"
    assert (seen["zh"].action, seen["zh"].queue, seen["zh"].path) == ("agent", "12345", "t")
    assert (seen["en"].language, seen["en"].queue, seen["en"].path) == ("en", "english", "t")

    with messages.open("rb") as f:
        f.seek(mark)
        log = f.read().decode(errors="replace")
    played = [line for line in log.splitlines() if "Playing '" in line]
    assert any("'hotline/welcome." in line and "(language 'zh')" in line for line in played), played
    assert any("'hotline/goodbye." in line and "(language 'en')" in line for line in played), played
    # Mandarin say-number: 一 万 二 千 三 百 四十 五, with digits/wan found in our zh/digits
    # (Debian's English sounds have no digits/wan: without ours it "does not exist")
    said = [line.split("Playing '")[1].split(".")[0] for line in played if "'digits/" in line]
    assert said == ["digits/1", "digits/wan", "digits/2", "digits/thousand", "digits/3", "digits/hundred",
                    "digits/40", "digits/5"]
    assert all("(language 'zh')" in line for line in played if "'digits/" in line)
    assert "File digits/" not in log and "File hotline/welcome" not in log and "File hotline/goodbye" not in log
