"""The Flask panel: ``create_app(config=None)`` with one blueprint per area."""
from __future__ import annotations

from flask import Flask

from hotline.config import Settings


def create_app(config: dict | None = None) -> Flask:
    settings = (config or {}).get("HOTLINE_SETTINGS") or Settings.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secrets["web_secret_key"], HOTLINE_SETTINGS=settings,
                      JSON_AS_ASCII=False)
    app.config.update(config or {})

    from web import database
    database.init_app(app, settings.database_url)

    from web import edge
    edge.init_app(app)  # first: charset, control characters and the OpenAPI contract, before login and CSRF

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
    from web.api import bp as api_bp
    app.register_blueprint(api_bp)
    from web.open311 import bp as open311_bp
    app.register_blueprint(open311_bp)
    return app
