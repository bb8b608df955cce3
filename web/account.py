"""The logged-in user's own account (我的账号): password change and second-factor enrolment."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import login_user

from accounts import second_factor
from accounts.passwords import MIN_LENGTH, PasswordRefused, change_own_password
from web import ticket_views as tv
from web.auth import client_address, login_required
from web.database import session as db_session

bp = Blueprint("account", __name__, url_prefix="/account")
bp.record_once(lambda state: tv.init_app(state.app))

ENROL_NONCE = "totp_enrol_nonce"


@bp.get("/")
@login_required()
def index():
    return _page()


@bp.post("/password")
@login_required()
def change_password():
    s, form = db_session(), request.form
    if form.get("new", "") != form.get("confirm", ""):
        return _page(problems=["the two new passwords differ (两次输入的新密码不一致)"]), 400
    try:
        change_own_password(s, g.user, form.get("current", ""), form.get("new", ""), address=client_address())
    except PasswordRefused as refused:
        s.commit()  # the refusal's audit row
        return _page(problems=refused.problems), 400
    s.commit()
    login_user(g.user)  # this browser goes on with the new generation; every other session has ended
    session.permanent = True
    flash("密码已修改 Password changed; your other sessions were logged out")
    return redirect(url_for("account.index"))


@bp.post("/totp/start")
@login_required()
def totp_start():
    if not second_factor.available_for(g.user) or g.user.totp_secret:
        return _page(problems=["a second factor is for admin and supervisor accounts, once"]), 400
    session[ENROL_NONCE] = secrets.token_urlsafe(16)
    secret = _pending_secret()
    uri = second_factor.provisioning_uri(secret, g.user.username)
    return _page(enrol={"secret": secret, "uri": uri, "qr": second_factor.qr_svg(uri)})


@bp.post("/totp/confirm")
@login_required()
def totp_confirm():
    if not session.get(ENROL_NONCE) or not second_factor.available_for(g.user) or g.user.totp_secret:
        return redirect(url_for("account.index"))
    s = db_session()
    if not second_factor.enrol(s, g.user, _pending_secret(), request.form.get("code", ""),
                               address=client_address()):
        return _page(problems=["wrong code: check the phone's clock and set up again"]), 400
    session.pop(ENROL_NONCE, None)
    s.commit()
    flash("动态口令已启用 Second factor enabled: it is asked at every login")
    return redirect(url_for("account.index"))


def _pending_secret() -> str:
    """Derived on the server from the session's nonce: the secret itself never sits in the cookie."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"totp-enrol:{g.user.id}:{session[ENROL_NONCE]}".encode()
    return base64.b32encode(hmac.new(key, message, hashlib.sha256).digest()[:20]).decode()


def _page(problems: list[str] | None = None, enrol: dict | None = None):
    return render_template("account/index.html", problems=problems or [], enrol=enrol, min_length=MIN_LENGTH,
                           totp_available=second_factor.available_for(g.user))
