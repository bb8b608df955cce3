"""Hypothesis settings for the fuzz tests: bounded for CI, reproducible (derandomized), no example database.

``HOTLINE_FUZZ_EXAMPLES`` raises the number of examples per operation and mode (or per property) for a
longer run by hand, e.g. ``HOTLINE_FUZZ_EXAMPLES=500 pytest tests/fuzz``.
"""
from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "0")) or None

# HTTP fuzzing (schemathesis): each example is a real request through the app and its database
HTTP = settings(max_examples=EXAMPLES or 8, deadline=dt.timedelta(seconds=5), derandomize=EXAMPLES is None,
                database=None, phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
# property tests of pure parsers and the IVR engine on a fake channel
PROPERTY = settings(max_examples=EXAMPLES or 150, deadline=dt.timedelta(milliseconds=500),
                    derandomize=EXAMPLES is None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
