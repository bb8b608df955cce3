"""The synthetic history: reproducible, true to the seed data, and the benchmark reads it honestly."""
from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

from dispatch_suggest.synthetic import generate, seed_departments, seed_topics, split

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_cases_are_reproducible_cover_every_topic_and_name_seeded_departments():
    cases = generate(600, seed=3)
    assert cases == generate(600, seed=3) and cases != generate(600, seed=4)
    topics, departments = seed_topics(), seed_departments()
    assert {c.topic for c in cases} == set(topics) - {"other-praise"}
    for c in cases:
        assert c.department in departments and (c.misrouted_to is None or c.misrouted_to in departments)
        assert c.misrouted_to != c.department
        assert len(HAN.findall(c.description)) >= 4 and "{" not in c.description
        assert c.address and c.street in departments and c.district in departments
    share = sum(c.misrouted_to is not None for c in cases) / len(cases)
    assert 0.05 < share < 0.25
    # 属地管理: most street vending goes to the street office of its address, some to the city bureau
    vending = Counter(c.department == c.street for c in cases if c.topic == "urban-vending")
    assert vending[True] > vending[False] > 0
    # policy questions go where their subject belongs, not to one department
    assert len({c.department for c in cases if c.topic == "other-policy"}) >= 5
    training, held_out = split(cases, 0.25)
    assert len(held_out) == 150 and training + held_out == cases


def test_the_benchmark_beats_the_topic_default_and_reports_every_figure():
    path = Path(__file__).resolve().parents[2] / "bench" / "dispatch_accuracy.py"
    spec = importlib.util.spec_from_file_location("dispatch_accuracy", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--cases", "900", "--seed", "5"])
    assert result["held_out_cases"] == 180 and result["negatives"] > 0
    assert result["dept_topic_1"] > result["baseline_1"]          # learning beats "the topic's usual department"
    assert result["dept_topic_3"] >= result["dept_topic_1"] and result["topic_3"] >= result["topic_1"]
    assert result["dept_text_1"] > 0.5 and result["topic_1"] > 0.5
    # calibrated: what the hint shows is about how often it is right
    assert result["sharpness"] > 1 and abs(result["mean_top1_probability"] - result["dept_topic_1"]) < 0.06
    asked, right = result["bins"]["0.8-1.0"]
    assert asked > 0 and right / asked > result["dept_topic_1"]  # a sure hint is right more often than average
