"""`hotline db upgrade`, `hotline seed`, `hotline user …`: the database, demo data and web logins."""
from __future__ import annotations

import json

import click

from accounts.passwords import generate as generate_password
from accounts.passwords import set_password
from hotline.config import Settings
from hotline.errors import HotlineError
from ops.cli import common


@click.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from db.migrate import current_revision, upgrade

    settings = common.settings()
    settings.ensure_dirs()
    upgrade(settings.database_url, revision)
    click.echo(f"database at revision {current_revision(settings.database_url)}")


@click.command()
@click.option("--history", is_flag=True, help="also write a realistic year of tickets and calls (reports.history)")
@click.option("--scale", type=click.FloatRange(0.00001, 1.0), default=1.0, show_default=True,
              help="share of the full year (1,000,000 tickets, 3,000,000 calls) to write")
@click.option("--year", type=click.IntRange(2004, 2100), default=2025, show_default=True)
def seed(history: bool, scale: float, year: int) -> None:
    """Create or upgrade the database, then load the demo data: 12345, the national lines, local numbers,
    departments, queues, agents (and with --history a generated year of tickets and calls)."""
    from db.migrate import upgrade
    from db.seed import seed as run_seed
    from db.seed_users import seed_users
    from db.session import session_scope

    settings = common.settings()
    settings.ensure_dirs()
    upgrade(settings.database_url)
    with session_scope(common.session_factory(settings)) as session:
        report = run_seed(session, ports=settings.ports)
        passwords = seed_users(session)
    if history:
        from reports.history import generate
        with session_scope(common.session_factory(settings)) as session:
            report["history"] = generate(session, year=year, scale=scale).as_dict()
    report["users"] = {"created": len(passwords)}
    click.echo(json.dumps(report, ensure_ascii=False))
    if passwords:
        path = _append_credentials(settings, passwords)
        click.echo(f"web logins created; their passwords are in {path} (shown once, keep it private)")


def _append_credentials(settings: Settings, passwords: dict[str, str]):
    import os

    settings.ensure_dirs()
    path = settings.run_dir / "demo-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        for username, password in passwords.items():
            f.write(f"{username}\t{password}\n")
    return path


@click.group()
def user() -> None:
    """Web panel logins."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "reviewer", "clerk", "supervisor", "admin"]), required=True)
@click.option("--name", "display_name", default=None, help="display name (default: the username)")
@click.option("--department", default=None, help="department code, for clerks")
@click.option("--agent", "agent_number", default=None, help="agent work number, for agents")
def user_add(username: str, role: str, display_name: str | None, department: str | None,
             agent_number: str | None) -> None:
    """Create a login; prints its generated password once."""
    from db.models import Agent, Department, Role, User
    from db.session import session_scope

    settings = common.settings()
    with session_scope(common.session_factory(settings)) as session:
        if session.query(User).filter_by(username=username).one_or_none():
            raise HotlineError(f"user {username} exists", f"`hotline user passwd {username}` sets a new password")
        u = User(username=username, display_name=display_name or username, role=Role(role))
        if role == "clerk":
            if not department:
                raise HotlineError("a clerk belongs to a department", "pass --department CODE")
            u.department = session.query(Department).filter_by(code=department).one_or_none()
            if u.department is None:
                raise HotlineError(f"there is no department {department!r}")
        if agent_number:
            u.agent = session.query(Agent).filter_by(number=agent_number).one_or_none()
            if u.agent is None:
                raise HotlineError(f"there is no agent {agent_number!r}")
        session.add(u)
        password = generate_password()
        set_password(session, u, password, actor="cli")   # audited like every password change
    click.echo(f"{username}\t{password}")


@user.command("passwd")
@click.argument("username")
def user_passwd(username: str) -> None:
    """Give USERNAME a new generated password; prints it once."""
    from db.models import User
    from db.session import session_scope

    with session_scope(common.session_factory(common.settings())) as session:
        u = session.query(User).filter_by(username=username).one_or_none()
        if u is None:
            raise HotlineError(f"there is no user {username!r}")
        password = generate_password()
        set_password(session, u, password, actor="cli")   # audited; ends the user's open sessions
    click.echo(f"{username}\t{password}")


COMMANDS = [db, seed, user]
