"""Security headers of every response (flask-talisman), and cookie flags.

Content-Security-Policy: scripts and styles only from the panel itself or
inline blocks carrying the request's nonce (``<script nonce="{{ csp_nonce() }}">``),
no ``style=""`` attributes, no plugins, no framing by other sites
(``frame-ancestors 'none'``; the agent's state panel may be framed by the
panel's own workspace). Also nosniff, a referrer policy, SameSite=Lax cookies;
with ``HOTLINE_WEB_HTTPS=1`` the session cookie is Secure, plain HTTP is
redirected and HSTS is sent.
"""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
NONCE_IN = ["script-src", "style-src"]
# endpoints the panel frames itself (the workspace embeds the agent's state panel)
FRAMED_BY_SELF = ("agent_state.panel",)

talisman = Talisman()


def init_app(app: Flask, https: bool, proxies: int = 0) -> None:
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.config["SESSION_COOKIE_SECURE"] = https
    talisman.init_app(
        app, force_https=https, strict_transport_security=https, session_cookie_secure=https,
        session_cookie_samesite="Lax", session_cookie_http_only=True, content_security_policy=CSP,
        content_security_policy_nonce_in=NONCE_IN, frame_options="DENY", x_content_type_options=True,
        referrer_policy="strict-origin-when-cross-origin", permissions_policy={
            "camera": "()", "geolocation": "()", "microphone": "()", "browsing-topics": "()"})


def allow_framing_by_self(app: Flask) -> None:
    """Call after the blueprints are registered."""
    for endpoint in FRAMED_BY_SELF:
        view = app.view_functions.get(endpoint)
        if view is not None:
            talisman(frame_options="SAMEORIGIN",
                     content_security_policy={**CSP, "frame-ancestors": "'self'"})(view)
