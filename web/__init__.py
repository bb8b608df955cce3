"""Floor 5, the Flask panel: ``create_app(config=None)`` with one blueprint per area, stream formatting
(streams.py), shared view helpers (ticket_views.py, live.py). Imports ``hotline``, ``db`` and the domain packages, never agi/ops."""
from __future__ import annotations

from flask import Flask

from hotline.config import Settings
from hotline.logs import install_phone_masking


def create_app(config: dict | None = None) -> Flask:
    settings = (config or {}).get("HOTLINE_SETTINGS") or Settings.from_env()
    install_phone_masking()  # web.log (gunicorn's access log too) never holds a citizen's number
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secrets["web_secret_key"], HOTLINE_SETTINGS=settings,
                      JSON_AS_ASCII=False)
    app.config.update(config or {})

    from web import database
    database.init_app(app, settings.database_url)

    from web import edge
    edge.init_app(app)  # first: charset, control characters and the OpenAPI contract, before login and CSRF

    from web import security_headers
    security_headers.init_app(app, https=settings.web_https, proxies=settings.web_proxies)

    from web import auth
    auth.init_app(app)

    # one blueprint per area; each area registers its role's start page with auth.register_home
    from web.supervisor import bp as supervisor_bp
    app.register_blueprint(supervisor_bp)
    from web.wallboard import bp as wallboard_bp
    app.register_blueprint(wallboard_bp)
    from web.agent_state import bp as agent_state_bp
    app.register_blueprint(agent_state_bp)
    from web.agent_workspace import bp as agent_bp
    app.register_blueprint(agent_bp)
    from web.department import bp as department_bp
    app.register_blueprint(department_bp)
    from web.review import bp as review_bp
    app.register_blueprint(review_bp)
    from web.ticket_admin import bp as ticket_admin_bp
    app.register_blueprint(ticket_admin_bp)
    from web.callbacks import bp as callbacks_bp
    app.register_blueprint(callbacks_bp)
    from web.api import bp as api_bp
    app.register_blueprint(api_bp)
    from web.open311 import bp as open311_bp
    app.register_blueprint(open311_bp)
    from web.config_api import bp as config_api_bp
    app.register_blueprint(config_api_bp)
    from web.admin_config import bp as admin_config_bp
    app.register_blueprint(admin_config_bp)
    from web.dispatch_suggestions import bp as dispatch_suggestions_bp
    app.register_blueprint(dispatch_suggestions_bp)
    from web.kpis import api_bp as kpis_api_bp
    from web.kpis import bp as kpis_bp
    app.register_blueprint(kpis_bp)
    app.register_blueprint(kpis_api_bp)
    from web.hotspots import bp as hotspots_bp
    app.register_blueprint(hotspots_bp)
    from web.reports import bp as reports_bp
    app.register_blueprint(reports_bp)
    from web.account import bp as account_bp
    app.register_blueprint(account_bp)
    from web.security_admin import bp as security_admin_bp
    app.register_blueprint(security_admin_bp)
    from web.knowledge import api_bp as knowledge_api_bp
    from web.knowledge import bp as knowledge_bp
    app.register_blueprint(knowledge_bp)
    app.register_blueprint(knowledge_api_bp)
    security_headers.allow_framing_by_self(app)
    return app
