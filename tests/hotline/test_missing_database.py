"""A missing or empty database is a clear `error:` + `fix:` from the CLI and the services, never a new empty file.

Only `hotline db upgrade` and `hotline seed` create the database.
"""
from __future__ import annotations

import sqlite3

import pytest

from tests.hotline.test_cli_errors import assert_clear_error, hotline

SERVICES = (("agi", "serve"), ("ami", "listen"), ("worker",), ("web", "serve"))


@pytest.mark.parametrize("command", [("softphone", "1001"), ("user", "passwd", "admin"), ("up",), *SERVICES],
                         ids=lambda c: " ".join(c))
def test_a_missing_database_file_is_an_error_and_stays_missing(tmp_path, command):
    done = hotline(tmp_path, *command)
    assert_clear_error(done, "hotline.db does not exist", "hotline db upgrade")
    assert not (tmp_path / "hotline.db").exists()


@pytest.mark.parametrize("command", [("softphone", "1001"), ("agi", "serve"), ("web", "serve")],
                         ids=lambda c: " ".join(c))
def test_an_empty_database_is_an_error(tmp_path, command):
    sqlite3.connect(tmp_path / "hotline.db").close()          # a file, no tables
    assert (tmp_path / "hotline.db").stat().st_size == 0
    assert_clear_error(hotline(tmp_path, *command), "has no tables", "hotline db upgrade")


def test_a_postgresql_database_that_does_not_exist_is_an_error(tmp_path):
    url = "postgresql+psycopg://root@/hotline_nowhere_to_be_found?host=/var/run/postgresql"
    assert_clear_error(hotline(tmp_path, "softphone", "1001", env={"DATABASE_URL": url}),
                       "cannot reach the database", "createdb")


def test_seed_creates_the_database_and_then_everything_works(tmp_path):
    assert hotline(tmp_path, "seed").returncode == 0
    done = hotline(tmp_path, "softphone", "1001")
    assert done.returncode == 0, done.stderr
    assert "agent 1001" in done.stdout


def test_status_says_the_database_is_missing_and_does_not_create_it(tmp_path):
    done = hotline(tmp_path, "status")
    assert done.returncode == 1
    line = next(line for line in done.stdout.splitlines() if line.startswith("database"))
    assert "DOWN" in line and "does not exist" in line
    assert not (tmp_path / "hotline.db").exists()
