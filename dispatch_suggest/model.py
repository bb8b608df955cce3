"""The suggestion model: TF-IDF over segmented words, a topic classifier and one scorer per department.

Topics: one multinomial logistic regression (a ticket has exactly one topic).
Departments: one binary logistic regression per department (one-vs-rest),
because a return (退单) or re-dispatch (改派) says "not this department" and
nothing about the others: it is a negative row, weighted up, in the returned
department's own regression only. The per-department probabilities are
normalised to sum to one, so what the agent sees reads as "how sure".
The department scorer learns from rows with the topic token and without it,
so it answers whether or not the agent has picked a topic yet.
"""
from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from db.session import utcnow
from dispatch_suggest.history import Example
from dispatch_suggest.text import document

MIN_ACCEPTED = 30          # fewer accepted tickets than this: "no model yet"
MIN_DEPARTMENTS = 2
MIN_TOPICS = 2
NEGATIVE_WEIGHT = 2.0  # a 退单/改派 says more about a department than another department's 签收
C_DEPARTMENT = 10.0
C_TOPIC = 10.0
MIN_DF_FROM = 200          # documents from which a word must occur twice to count
CALIBRATE_FROM = 200       # accepted tickets from which the probabilities are calibrated on a held-back part
CALIBRATION_FOLD = 5       # every 5th ticket is held back for that


class NotEnoughHistory(Exception):
    """Too little history to learn from; the message says how much there is and how much is needed."""


@dataclass
class Ranked:
    code: str
    name: str
    probability: float

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "probability": round(self.probability, 3)}


@dataclass
class Suggestion:
    topics: list[Ranked]
    departments: list[Ranked]


@dataclass
class SuggestionModel:
    """What is stored (joblib) and loaded by the web panel: the fitted parts and where they came from."""

    version: int
    trained_at: dt.datetime
    extra_words: tuple[str, ...]
    topic_names: dict[str, str]
    department_names: dict[str, str]
    topic_vectorizer: TfidfVectorizer
    topic_classifier: LogisticRegression
    department_vectorizer: TfidfVectorizer
    department_codes: list[str]
    department_scorers: list[LogisticRegression]
    department_sharpness: float = 1.0  # exponent on the scores before normalising (calibration)
    topic_sharpness: float = 1.0
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    sklearn_version: str = sklearn.__version__

    def suggest(self, description: str, topic: str | None = None, address: str | None = None,
                k: int = 3) -> Suggestion:
        topic_doc = document(description, address, None, self.extra_words)
        topic_p = _normalised(self.topic_classifier.predict_proba(self.topic_vectorizer.transform([topic_doc]))[0],
                              self.topic_sharpness)
        topics = _top(list(self.topic_classifier.classes_), topic_p, self.topic_names, k)
        known_topic = topic if topic in self.topic_names else None
        x = self.department_vectorizer.transform([document(description, address, known_topic, self.extra_words)])
        department_p = _normalised(_scores(self.department_scorers, x)[0], self.department_sharpness)
        return Suggestion(topics, _top(self.department_codes, department_p, self.department_names, k))

    def info(self) -> dict:
        return {"version": self.version, "trained_at": self.trained_at.isoformat(timespec="seconds") + "Z",
                "examples": dict(self.counts)}


def _top(codes: list[str], probabilities, names: dict[str, str], k: int) -> list[Ranked]:
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:k]
    return [Ranked(str(codes[i]), names.get(str(codes[i]), str(codes[i])), float(probabilities[i])) for i in order]


def train(examples: list[Example], *, topic_names: dict[str, str], department_names: dict[str, str],
          version: int = 1, trained_at: dt.datetime | None = None, extra_words: tuple[str, ...] = (),
          fingerprint: str = "") -> SuggestionModel:
    """Fit both parts; ``NotEnoughHistory`` when the history is too thin to say anything."""
    accepted = [e for e in examples if e.department]
    departments = Counter(e.department for e in accepted)
    topical = [e for e in examples if e.topic]
    topics = Counter(e.topic for e in topical)
    if len(accepted) < MIN_ACCEPTED or len(departments) < MIN_DEPARTMENTS:
        raise NotEnoughHistory(f"only {len(accepted)} accepted (签收) tickets for {len(departments)} departments "
                               f"in the history; the suggestion needs at least {MIN_ACCEPTED} "
                               f"for {MIN_DEPARTMENTS} departments")
    if len(topics) < MIN_TOPICS:
        raise NotEnoughHistory(f"the history has tickets of {len(topics)} topic(s) only; "
                               f"the suggestion needs at least {MIN_TOPICS}")
    topic_vectorizer, topic_classifier = _fit_topics(topical, extra_words)

    vectorizer, codes, scorers = _fit_departments(examples, extra_words)
    sharpness = topic_sharpness = 1.0
    if len(accepted) >= CALIBRATE_FROM:
        sharpness = _sharpness(examples, extra_words)
        topic_sharpness = _topic_sharpness(examples, extra_words)
    counts = {"accepted": len(accepted), "negatives": sum(len(e.not_departments) for e in examples),
              "topics": len(topics), "departments": len(departments), "tickets": len(examples)}
    return SuggestionModel(version=version, trained_at=trained_at or utcnow(), extra_words=tuple(extra_words),
                           topic_names=dict(topic_names), department_names=dict(department_names),
                           topic_vectorizer=topic_vectorizer, topic_classifier=topic_classifier,
                           department_vectorizer=vectorizer, department_codes=codes,
                           department_scorers=scorers, department_sharpness=sharpness,
                           topic_sharpness=topic_sharpness, counts=counts,
                           fingerprint=fingerprint)


def _fit_departments(examples: list[Example], extra_words: tuple[str, ...]):
    """(vectorizer, department codes, one binary regression per department)."""
    # rows: every positive and negative example twice, with and without its topic token, at half weight
    rows, labels, negative_of, weights = [], [], [], []

    def add(doc: str, label: str | None, negative: str | None, weight: float) -> None:
        rows.append(doc)
        labels.append(label)
        negative_of.append(negative)
        weights.append(weight)

    for e in examples:
        text_only = document(e.description, e.address, None, extra_words)
        with_topic = f"{text_only} #{e.topic}".strip() if e.topic else text_only  # as document() adds it
        for doc in (with_topic, text_only):
            if e.department:
                add(doc, e.department, None, 0.5)
            for code in e.not_departments:
                add(doc, None, code, 0.5 * NEGATIVE_WEIGHT)
    vectorizer = _vectorizer(len(rows))
    x_all = vectorizer.fit_transform(rows)
    labels_a, negative_a, weights_a = np.array(labels, dtype=object), np.array(negative_of, dtype=object), \
        np.array(weights)
    positive_rows = np.flatnonzero(np.array([label is not None for label in labels]))
    codes = sorted({e.department for e in examples if e.department})
    scorers = []
    for code in codes:
        own_negatives = np.flatnonzero(negative_a == code)
        take = np.concatenate([positive_rows, own_negatives])
        y = np.concatenate([(labels_a[positive_rows] == code).astype(int), np.zeros(len(own_negatives), int)])
        scorer = LogisticRegression(C=C_DEPARTMENT, max_iter=2000, solver="liblinear", random_state=0)
        scorer.fit(x_all[take], y, sample_weight=weights_a[take])
        scorers.append(scorer)
    return vectorizer, codes, scorers


def _scores(scorers: list[LogisticRegression], x) -> np.ndarray:
    """(documents × departments) of each department's own probability."""
    return np.column_stack([s.predict_proba(x)[:, 1] for s in scorers])


def _normalised(scores: np.ndarray, sharpness: float) -> np.ndarray:
    sharpened = np.power(np.clip(scores, 1e-12, 1.0), sharpness)
    return sharpened / sharpened.sum()


def _sharpness(examples: list[Example], extra_words: tuple[str, ...]) -> float:
    """The exponent that makes the shown probabilities honest (temperature scaling, fitted on a held-back fifth).

    One-vs-rest scores normalised to one come out too modest; raising them to a power before
    normalising keeps their order (so top-1 and top-3 do not change) and is fitted to minimise the
    log loss of the department that really accepted the held-back tickets.
    """
    held = [e for i, e in enumerate(examples) if i % CALIBRATION_FOLD == 0 and e.department]
    rest = [e for i, e in enumerate(examples) if i % CALIBRATION_FOLD != 0]
    if len({e.department for e in rest if e.department}) < MIN_DEPARTMENTS:
        return 1.0
    vectorizer, codes, scorers = _fit_departments(rest, extra_words)
    index = {code: i for i, code in enumerate(codes)}
    held = [e for e in held if e.department in index]
    if len(held) < MIN_ACCEPTED:
        return 1.0
    docs = [document(e.description, e.address, e.topic, extra_words) for e in held] + \
        [document(e.description, e.address, None, extra_words) for e in held]
    truth = np.array([index[e.department] for e in held] * 2)
    return _exponent(_scores(scorers, vectorizer.transform(docs)), truth)


def _topic_sharpness(examples: list[Example], extra_words: tuple[str, ...]) -> float:
    """The same calibration for the topic classifier (a temperature on its logits)."""
    topical = [e for e in examples if e.topic]
    held = [e for i, e in enumerate(topical) if i % CALIBRATION_FOLD == 0]
    rest = [e for i, e in enumerate(topical) if i % CALIBRATION_FOLD != 0]
    if len({e.topic for e in rest}) < MIN_TOPICS:
        return 1.0
    vectorizer, classifier = _fit_topics(rest, extra_words)
    index = {code: i for i, code in enumerate(classifier.classes_)}
    held = [e for e in held if e.topic in index]
    if len(held) < MIN_ACCEPTED:
        return 1.0
    raw = classifier.predict_proba(vectorizer.transform(
        [document(e.description, e.address, None, extra_words) for e in held]))
    return _exponent(raw, np.array([index[e.topic] for e in held]))


def _exponent(raw: np.ndarray, truth: np.ndarray) -> float:
    """The power on the probabilities (documents × classes) that minimises the log loss of ``truth``."""
    logs_raw = np.log(np.clip(raw, 1e-12, 1.0))

    def log_loss(sharpness: float) -> float:
        logs = sharpness * logs_raw
        logs -= logs.max(axis=1, keepdims=True)
        chosen = logs[np.arange(len(truth)), truth]
        return float(-(chosen - np.log(np.exp(logs).sum(axis=1))).mean())
    return float(minimize_scalar(log_loss, bounds=(0.25, 8.0), method="bounded").x)


def _fit_topics(topical: list[Example], extra_words: tuple[str, ...]):
    vectorizer = _vectorizer(len(topical))
    x = vectorizer.fit_transform([document(e.description, e.address, None, extra_words) for e in topical])
    classifier = LogisticRegression(C=C_TOPIC, max_iter=2000, random_state=0)
    with warnings.catch_warnings():  # many topics seen once or twice is a thin history, not a regression problem
        warnings.filterwarnings("ignore", message="The number of unique classes", category=UserWarning)
        classifier.fit(x, [e.topic for e in topical])
    return vectorizer, classifier


def _vectorizer(documents: int) -> TfidfVectorizer:
    """Words and word pairs; once the history is big enough a word must occur twice to be kept, so
    one-off words (a caller's name, a house number) neither count nor end up in the stored model."""
    return TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                           sublinear_tf=True, min_df=2 if documents >= MIN_DF_FROM else 1,
                           max_features=100_000)
