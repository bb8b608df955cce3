"""A web worker boots without the dispatch model's libraries: scikit-learn and SciPy load at the first suggestion.

They are more than half of a worker's boot (about 5 of 8 s on a loaded machine, 1.5 of 2.5 s quiet),
and a web process killed and restarted by supervisord serves again only when its workers have booted.
"""
from __future__ import annotations

import subprocess
import sys

from hotline.config import PROJECT_DIR


def test_creating_the_app_does_not_import_scikit_learn_or_scipy(tmp_path):
    code = ("import sys; from web import create_app; create_app(); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'joblib') if m in sys.modules))")
    env = {"HOTLINE_RUN_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
