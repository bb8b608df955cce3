"""Accuracy of the dispatch suggestion (智能派单) on a held-out part of the synthetic history.

    python bench/dispatch_accuracy.py [--cases 3000] [--held-out 0.2] [--seed 12345]

Trains on the first part of the generated cases (with their returns and
re-dispatches as negative examples) and reports, on the held-out part, the
top-1 and top-3 accuracy of the suggested department (with the topic the agent
picked, and before any topic is picked) and of the suggested topic, against the
baseline the form had before: the topic's usual department. Also: how sure the
model says it is (mean top-1 probability) next to how often it is right, the
training time and the time of one suggestion.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch_suggest.model import train  # noqa: E402  (after the path insert)
from dispatch_suggest.synthetic import generate, seed_names, seed_topics, split  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--no-negatives", action="store_true", help="drop the returns, to see what they add")
    args = parser.parse_args(argv)

    cases = generate(args.cases, seed=args.seed)
    training, held_out = split(cases, args.held_out)
    examples = [c.example() for c in training]
    if args.no_negatives:
        examples = [e.__class__(e.description, e.address, e.topic, e.department) for e in examples]
    topic_names, department_names, words = seed_names()
    started = time.perf_counter()
    model = train(examples, topic_names=topic_names, department_names=department_names, extra_words=words)
    train_seconds = time.perf_counter() - started
    usual = {code: department for code, (_name, department) in seed_topics().items()}

    hits = {"dept_topic_1": 0, "dept_topic_3": 0, "dept_text_1": 0, "dept_text_3": 0, "topic_1": 0, "topic_3": 0,
            "baseline_1": 0}
    sure, topic_sure, latencies = [], [], []
    bins = {(0.0, 0.5): [0, 0], (0.5, 0.8): [0, 0], (0.8, 1.01): [0, 0]}  # shown probability → [asked, right]
    for case in held_out:
        started = time.perf_counter()
        with_topic = model.suggest(case.description, case.topic, case.address)
        latencies.append(time.perf_counter() - started)
        text_only = model.suggest(case.description, None, case.address)
        top = [r.code for r in with_topic.departments]
        hits["dept_topic_1"] += top[0] == case.department
        hits["dept_topic_3"] += case.department in top
        top = [r.code for r in text_only.departments]
        hits["dept_text_1"] += top[0] == case.department
        hits["dept_text_3"] += case.department in top
        topics = [r.code for r in text_only.topics]
        hits["topic_1"] += topics[0] == case.topic
        hits["topic_3"] += case.topic in topics
        hits["baseline_1"] += usual.get(case.topic) == case.department
        sure.append(with_topic.departments[0].probability)
        topic_sure.append(text_only.topics[0].probability)
        for (low, high), counts in bins.items():
            if low <= with_topic.departments[0].probability < high:
                counts[0] += 1
                counts[1] += with_topic.departments[0].code == case.department
    n = len(held_out)
    result = {k: v / n for k, v in hits.items()}
    result.update(train_seconds=train_seconds, suggest_ms_median=statistics.median(latencies) * 1000,
                  suggest_ms_p95=sorted(latencies)[int(0.95 * (n - 1))] * 1000, mean_top1_probability=
                  statistics.fmean(sure), mean_topic_probability=statistics.fmean(topic_sure),
                  sharpness=model.department_sharpness, training_cases=len(training), held_out_cases=n,
                  negatives=sum(len(e.not_departments) for e in examples),
                  departments=len(model.department_codes), topics=len(model.topic_classifier.classes_))
    print(f"synthetic history: {args.cases} cases (seed {args.seed}), trained on {len(training)} "
          f"({result['negatives']} returns/re-dispatches as negatives), held out {n}; "
          f"{result['departments']} departments, {result['topics']} topics")
    print(f"department, topic given:   top-1 {result['dept_topic_1']:.1%}  top-3 {result['dept_topic_3']:.1%}")
    print(f"department, text only:     top-1 {result['dept_text_1']:.1%}  top-3 {result['dept_text_3']:.1%}")
    print(f"topic, text only:          top-1 {result['topic_1']:.1%}  top-3 {result['topic_3']:.1%}")
    print(f"baseline (topic's usual department): top-1 {result['baseline_1']:.1%}")
    print(f"mean top-1 probability shown {result['mean_top1_probability']:.1%} "
          f"(vs top-1 accuracy {result['dept_topic_1']:.1%}; calibration exponent {model.department_sharpness:.2f}); "
          f"topic {result['mean_topic_probability']:.1%} (vs {result['topic_1']:.1%})")
    for (low, high), (asked, right) in bins.items():
        if asked:
            print(f"  shown {low:.0%}–{min(high, 1):.0%}: {asked} suggestions, top-1 right {right / asked:.1%}")
    result["bins"] = {f"{low:.1f}-{min(high, 1):.1f}": (asked, right) for (low, high), (asked, right) in bins.items()}
    print(f"training {train_seconds:.1f} s; one suggestion median {result['suggest_ms_median']:.1f} ms, "
          f"p95 {result['suggest_ms_p95']:.1f} ms")
    return result


if __name__ == "__main__":
    main()
