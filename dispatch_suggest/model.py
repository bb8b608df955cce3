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
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    sklearn_version: str = sklearn.__version__

    def suggest(self, description: str, topic: str | None = None, address: str | None = None,
                k: int = 3) -> Suggestion:
        topic_doc = document(description, address, None, self.extra_words)
        topic_p = self.topic_classifier.predict_proba(self.topic_vectorizer.transform([topic_doc]))[0]
        topics = _top(list(self.topic_classifier.classes_), topic_p, self.topic_names, k)
        known_topic = topic if topic in self.topic_names else None
        x = self.department_vectorizer.transform([document(description, address, known_topic, self.extra_words)])
        scores = np.array([s.predict_proba(x)[0, 1] for s in self.department_scorers])
        total = scores.sum()
        department_p = scores / total if total > 0 else np.full(len(scores), 1 / len(scores))
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
    topic_vectorizer = _vectorizer(len(topical))
    x_topic = topic_vectorizer.fit_transform(
        [document(e.description, e.address, None, extra_words) for e in topical])
    topic_classifier = LogisticRegression(C=C_TOPIC, max_iter=2000, random_state=0)
    with warnings.catch_warnings():  # many topics seen once or twice is a thin history, not a regression problem
        warnings.filterwarnings("ignore", message="The number of unique classes", category=UserWarning)
        topic_classifier.fit(x_topic, [e.topic for e in topical])

    # rows: every positive and negative example twice, with and without its topic token
    rows, labels, negative_of, weights = [], [], [], []
    for e in examples:
        for with_topic in (True, False):
            doc = document(e.description, e.address, e.topic if with_topic else None, extra_words)
            if e.department:
                rows.append(doc), labels.append(e.department), negative_of.append(None), weights.append(0.5)
            for code in e.not_departments:
                rows.append(doc), labels.append(None), negative_of.append(code), weights.append(0.5 * NEGATIVE_WEIGHT)
    department_vectorizer = _vectorizer(len(rows))
    x_all = department_vectorizer.fit_transform(rows)
    labels_a, negative_a, weights_a = np.array(labels, dtype=object), np.array(negative_of, dtype=object), \
        np.array(weights)
    positive_rows = np.flatnonzero(np.array([label is not None for label in labels]))
    codes = sorted(departments)
    scorers = []
    for code in codes:
        own_negatives = np.flatnonzero(negative_a == code)
        take = np.concatenate([positive_rows, own_negatives])
        y = np.concatenate([(labels_a[positive_rows] == code).astype(int), np.zeros(len(own_negatives), int)])
        scorer = LogisticRegression(C=C_DEPARTMENT, max_iter=2000, solver="liblinear", random_state=0)
        scorer.fit(x_all[take], y, sample_weight=weights_a[take])
        scorers.append(scorer)
    counts = {"accepted": len(accepted), "negatives": sum(len(e.not_departments) for e in examples),
              "topics": len(topics), "departments": len(departments), "tickets": len(examples)}
    return SuggestionModel(version=version, trained_at=trained_at or utcnow(), extra_words=tuple(extra_words),
                           topic_names=dict(topic_names), department_names=dict(department_names),
                           topic_vectorizer=topic_vectorizer, topic_classifier=topic_classifier,
                           department_vectorizer=department_vectorizer, department_codes=codes,
                           department_scorers=scorers, counts=counts, fingerprint=fingerprint)


def _vectorizer(documents: int) -> TfidfVectorizer:
    """Words and word pairs; once the history is big enough a word must occur twice to be kept, so
    one-off words (a caller's name, a house number) neither count nor end up in the stored model."""
    return TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                           sublinear_tf=True, min_df=2 if documents >= MIN_DF_FROM else 1,
                           max_features=100_000)
