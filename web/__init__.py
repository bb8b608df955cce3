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

    from web import auth
    auth.init_app(app)

    # one blueprint per area; each area registers its role's start page with auth.register_home
    from web.supervisor import bp as supervisor_bp
    app.register_blueprint(supervisor_bp)
    return app
