"""`hotline suggest train | status` with click's CliRunner on a real database."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from db.session import utcnow
from ops.cli.suggest import suggest


def test_status_train_and_status_again(database_url, history, tmp_path):
    env = {"DATABASE_URL": database_url, "HOTLINE_RUN_DIR": str(tmp_path / "run")}
    runner = CliRunner()
    before = runner.invoke(suggest, ["status"], env=env)
    assert before.exit_code == 0 and "no model yet" in before.output
    thin = runner.invoke(suggest, ["train"], env=env)
    assert thin.exit_code == 0 and "not trained: only 0 accepted" in thin.output
    history(40, start=utcnow().replace(microsecond=0) - dt.timedelta(days=20))
    trained = runner.invoke(suggest, ["train"], env=env)
    assert trained.exit_code == 0 and "model v1 trained" in trained.output, trained.output
    again = runner.invoke(suggest, ["train"], env=env)
    assert "model v1 unchanged" in again.output
    status = runner.invoke(suggest, ["status"], env=env)
    assert status.exit_code == 0 and "model v1, trained at" in status.output and "'accepted': 40" in status.output
