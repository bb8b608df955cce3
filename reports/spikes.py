"""How unusual a day's count is (突增): today against the same weekday of the trailing weeks.

The baseline is the mean count of the same weekday over the last ``weeks``
weeks (4 by default: a Monday is compared with the four Mondays before it, so
the weekly cycle does not look like a spike). Counts of rare matters are
Poisson-like, so the unusualness is given two ways:

- ``z`` = (today − mean) / √mean — the Poisson z-score (standard deviation of a
  Poisson count is √λ); with an empty baseline λ is floored at ``FLOOR_RATE``
  (0.5) so a first-ever matter is not infinitely unusual;
- ``p`` = P(X ≥ today | X ~ Poisson(λ)) — the upper tail: the chance of a day
  at least this busy if nothing had changed.

A spike is a count of at least ``min_count`` with ``p`` below ``alpha`` (0.01).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

FLOOR_RATE = 0.5


def poisson_tail(k: int, rate: float) -> float:
    """P(X ≥ k) for X ~ Poisson(rate), summed exactly (k is a day's count: small)."""
    if k <= 0:
        return 1.0
    term = math.exp(-rate)  # P(X = 0)
    below = term
    for i in range(1, k):
        term *= rate / i
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class Spike:
    key: str
    label: str
    today: int
    baseline: tuple[int, ...]  # the same weekday, most recent week first
    mean: float
    z: float
    p: float
    is_spike: bool

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "today": self.today, "baseline": list(self.baseline),
                "mean": round(self.mean, 3), "z": round(self.z, 3), "p": self.p, "is_spike": self.is_spike}


def score(key: str, label: str, today: int, baseline: list[int], *, min_count: int = 3,
          alpha: float = 0.01) -> Spike:
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    rate = max(mean, FLOOR_RATE)
    z = (today - rate) / math.sqrt(rate)
    p = poisson_tail(today, rate)
    return Spike(key, label, today, tuple(baseline), mean, z, p, today >= min_count and p < alpha)
