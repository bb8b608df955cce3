"""``hotline security ...``: lift login lockouts, change roles and passwords, purge expired records."""
from __future__ import annotations

import click

from accounts import throttle
from accounts.passwords import PasswordRefused
from accounts.passwords import set_password as set_it
from accounts.sessions import change_role
from db.models import Role, User
from db.session import session_scope
from ops.cli import common
from privacy.retention import purge_job


def _factory():
    return common.session_factory(common.settings())


def _user(session, username: str):
    user = session.query(User).filter_by(username=username).one_or_none()
    if user is None:
        raise click.ClickException(f"there is no user {username!r}")
    return user


@click.group("security")
def security() -> None:
    """Logins, roles and the retention of citizens' records."""


@security.command("lockouts")
def lockouts() -> None:
    """List delayed and locked logins."""
    with _factory()() as session:
        rows = throttle.current(session)
        for row in rows:
            click.echo(f"{row.key}\t{row.failures} failures\tlocked until {row.locked_until or '-'}\t"
                       f"delayed until {row.blocked_until or '-'}")
        if not rows:
            click.echo("no delayed or locked logins")


@security.command("lift")
@click.argument("key")
def lift(key: str) -> None:
    """Lift the delay or lockout of KEY: user:NAME or addr:IP (see `lockouts`)."""
    with session_scope(_factory()) as session:
        if not throttle.lift(session, key, actor="cli"):
            raise click.ClickException(f"no delay or lockout for {key!r}: `hotline security lockouts` lists them")
    click.echo(f"{key}: lifted")


@security.command("set-role")
@click.argument("username")
@click.argument("role")
def set_role(username: str, role: str) -> None:
    """Give USERNAME another ROLE (agent, reviewer, clerk, supervisor, admin); their sessions end."""
    if role not in {r.value for r in Role}:
        raise click.ClickException(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}")
    with session_scope(_factory()) as session:
        changed = change_role(session, _user(session, username), role, actor="cli")
    click.echo(f"{username}: {role}" if changed else f"{username} already is {role}")


@security.command("set-password")
@click.argument("username")
@click.password_option(prompt="New password")
def set_password(username: str, password: str) -> None:
    """Set USERNAME's password (checked against the policy); their sessions end."""
    refused = None
    with session_scope(_factory()) as session:
        try:
            set_it(session, _user(session, username), password, actor="cli")
        except PasswordRefused as problem:
            refused = problem  # the refusal's audit row is committed
    if refused is not None:
        raise click.ClickException("password refused: " + "; ".join(refused.problems))
    click.echo(f"{username}: password changed")


@security.command("purge")
def purge() -> None:
    """Delete recordings and call records past their retention (HOTLINE_RETENTION_*_DAYS) now."""
    done = purge_job()
    click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))


COMMANDS = [security]
