"""Login, roles, CSRF and session expiry for the web panel.

Logins are throttled per account and per address (accounts.throttle), every
failure is audited (security_events), unknown names cost the same hashing work
as known ones, and admin/supervisor accounts may add a second factor (TOTP).
Sessions are Flask-Login's, keyed by ``id:session_generation``: logout, a
password change and a role change bump the generation, which voids every copy
of the user's session cookies on the server side.

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
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import text
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import second_factor, throttle
from accounts.sessions import revoke_sessions
from db.models import Role, User
from db.repositories import security_audit
from db.session import utcnow
from web.database import session as db_session

bp = Blueprint("auth", __name__)

SESSION_HOURS = 8  # one shift
HOME_BY_ROLE = {}  # role → endpoint of its start page; areas register themselves via register_home()


def register_home(role: Role, endpoint: str) -> None:
    HOME_BY_ROLE[role] = endpoint


def init_app(app) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=app.config.get("SESSION_HOURS", SESSION_HOURS))
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    login_manager.init_app(app)
    security_audit.audit_configuration_changes()
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


# --- who is logged in: Flask-Login, with the user's session generation in the session token ------------
login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def _user_for_token(token: str) -> User | None:
    """``id:generation``; a token of an older generation (logged out, password or role changed) is void."""
    user_id, _, generation = token.partition(":")
    if not (user_id.isdigit() and generation.isdigit()):
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or (user.session_generation or 0) != int(generation):
        return None
    return user


def _load_user():
    g.user = current_user._get_current_object() if current_user.is_authenticated else None
    security_audit.current_actor.set((g.user.username if g.user else None, client_address()))
    if g.user is None:
        if "_user_id" in session:  # revoked on the server: forget it
            logout_user()
        return
    session.permanent = True  # refreshes the expiry on every request: inactivity timeout


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


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
    if request.method == "GET":
        return render_template("login.html")
    s, now, address = db_session(), utcnow(), client_address()
    typed = request.form.get("username", "")
    username = _clean_username(typed)
    refused = throttle.refusal(s, username, address, now)
    if refused is not None:
        security_audit.record(s, "login_throttled", username=username, address=address,
                              detail=refused.message(now))
        s.commit()
        flash(refused.message(now))
        response = current_app.make_response((render_template("login.html"), 429))
        response.headers["Retry-After"] = str(refused.seconds_left(now))
        return response
    user = s.query(User).filter_by(username=username).one_or_none() if username == typed.strip() else None
    if not _password_matches(user, request.form.get("password", "")):
        current_app.logger.warning("failed login for %r from %s", username, address)
        _failed(s, username, address, "unknown user" if user is None else
                ("inactive account" if not user.active else "wrong password"))
        flash("用户名或密码错误 Wrong username or password")
        return render_template("login.html"), 401
    target = request.args.get("next", "")
    if user.totp_secret:
        session.clear()
        session[PENDING_TOTP] = {"token": user.get_id(), "at": now.timestamp(), "next": target}
        return redirect(url_for("auth.login_code"))
    return _logged_in(s, user, address, target)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Second step for an account with a second factor (动态口令)."""
    pending = session.get(PENDING_TOTP) or {}
    s, now, address = db_session(), utcnow(), client_address()
    user = _user_for_token(pending.get("token", "")) if pending else None
    if user is None or now.timestamp() - pending.get("at", 0) > PENDING_TOTP_SECONDS:
        session.pop(PENDING_TOTP, None)
        flash("请重新登录 Log in again")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("login_code.html")
    refused = throttle.refusal(s, user.username, address, now)
    if refused is not None:
        security_audit.record(s, "login_throttled", username=user.username, address=address,
                              detail=refused.message(now))
        s.commit()
        flash(refused.message(now))
        return render_template("login_code.html"), 429
    if not second_factor.verify(s, user, request.form.get("code", ""), address=address):
        throttle.register_failure(s, user.username, address, now)
        s.commit()
        flash("动态口令错误 Wrong code")
        return render_template("login_code.html"), 401
    return _logged_in(s, user, address, pending.get("next", ""))


@bp.post("/logout")
def logout():
    if g.get("user") is not None:
        s = db_session()
        revoke_sessions(g.user)  # every copy of this session cookie is void from now on
        security_audit.record(s, "logout", username=g.user.username, address=client_address())
        s.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


PENDING_TOTP = "totp_pending"
PENDING_TOTP_SECONDS = 300
_dummy_hash: list[str] = []


def _clean_username(typed: str) -> str:
    """What was typed, without control characters (a NUL must not reach the database) and capped."""
    return "".join(ch for ch in typed.strip() if ch.isprintable())[:64]


def _password_matches(user: User | None, password: str) -> bool:
    """The same hashing work whether or not the account exists, so timing does not tell."""
    if user is None or not user.active or not user.password_hash:
        if not _dummy_hash:
            _dummy_hash.append(generate_password_hash(secrets.token_urlsafe(16)))
        check_password_hash(_dummy_hash[0], password)
        return False
    return user.check_password(password)


def _failed(s, username: str, address: str, why: str) -> None:
    throttle.register_failure(s, username, address)
    security_audit.record(s, "login_failed", username=username, address=address, detail=why)
    s.commit()


def _logged_in(s, user: User, address: str, target: str):
    session.clear()
    login_user(user)
    session.permanent = True
    user.last_login_at = utcnow()
    throttle.register_success(s, user.username)
    security_audit.record(s, "login", username=user.username, address=address,
                          detail="password + code" if user.totp_secret else "password")
    s.commit()
    return redirect(target if target.startswith("/") and not target.startswith("//") else home_for(user))
