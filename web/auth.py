"""Login, roles, CSRF and session expiry for the web panel.

Server-side checks only: a view says which roles may use it with
``@login_required(Role.clerk, ...)``; everything that changes state is a POST
carrying the session's CSRF token (forms: hidden ``csrf_token``; scripts: the
``X-CSRF-Token`` header). Sessions expire after ``SESSION_HOURS`` of inactivity.
"""
from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import text

from db.models import Role, User
from db.session import utcnow
from web.database import session as db_session

bp = Blueprint("auth", __name__)

SESSION_HOURS = 8  # one shift
HOME_BY_ROLE = {}  # role → endpoint of its start page; areas register themselves via register_home()


def register_home(role: Role, endpoint: str) -> None:
    HOME_BY_ROLE[role] = endpoint


def init_app(app) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=app.config.get("SESSION_HOURS", SESSION_HOURS))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.register_blueprint(bp)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS") or current_app.config.get("CSRF_DISABLED"):
        return None
    if getattr(current_app.view_functions.get(request.endpoint), "csrf_exempt", False):
        return None
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
        abort(400, description="missing or wrong CSRF token: reload the page and try again")
    return None


def csrf_exempt(view):
    """For token-authenticated machine APIs (e.g. Open311 with an api_key), never for browser forms."""
    view.csrf_exempt = True
    return view


def _load_user():
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = db_session().get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return
    g.user = user
    session.permanent = True  # refreshes the expiry on every request: inactivity timeout


def login_required(*roles: Role):
    """The view needs a logged-in user with one of ``roles`` (any role when none given)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = roles
        return wrapped
    return decorate


def home_for(user: User) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "auth.home"))


@bp.get("/")
def home():
    """Everyone's entry point: the role's own start page."""
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    target = HOME_BY_ROLE.get(g.user.role)
    if target:
        return redirect(url_for(target))
    return render_template("home.html")


@bp.get("/healthz")
def healthz():
    db_session().execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = db_session().query(User).filter_by(username=username).one_or_none()
        if user is None or not user.active or not user.check_password(request.form.get("password", "")):
            current_app.logger.warning("failed login for %r from %s", username, request.remote_addr)
            flash("用户名或密码错误 Wrong username or password")
            return render_template("login.html"), 401
        session.clear()
        session["user_id"] = user.id
        session.permanent = True
        user.last_login_at = utcnow()
        db_session().commit()
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else home_for(user))
    return render_template("login.html")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
