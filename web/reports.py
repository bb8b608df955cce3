"""Report pages (报表): daily, weekly and monthly reports that print well, and the same as PDF (WeasyPrint).

The page and the PDF render the same body template (reports/_body.html); the
PDF inlines the print stylesheet and fetches nothing over the network.
Centre roles only.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request

from db.models import Role
from kpis.errors import InvalidInput
from reports.periodic import KINDS, build, period_of
from web import listing
from web.auth import login_required
from web.database import session

CENTRE = (Role.reviewer, Role.supervisor, Role.admin)
CSS = Path(__file__).parent / "static" / "reports" / "report.css"

bp = Blueprint("reports", __name__, url_prefix="/supervisor/reports")
bp.register_error_handler(InvalidInput, listing.bad_input)


@bp.get("/")
@login_required(*CENTRE)
def index():
    return render_template("reports/index.html", kinds=KINDS)


def _report(kind: str):
    settings = current_app.config["HOTLINE_SETTINGS"]
    period = period_of(kind, request.args.get("on"), settings.timezone, settings.local_now().date())
    return build(session(), kind, period)


@bp.get("/<kind>")
@login_required(*CENTRE)
def show(kind: str):
    report = _report(kind)
    return render_template("reports/report.html", r=report, on=request.args.get("on", ""))


@bp.get("/<kind>.pdf")
@login_required(*CENTRE)
def pdf(kind: str):
    from weasyprint import HTML

    report = _report(kind)
    html = render_template("reports/print.html", r=report, css=CSS.read_text(encoding="utf-8"))
    document = HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    name = f"report_{kind}_{report.period.first}_{report.period.last}.pdf"
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _no_fetching(url: str, *args, **kwargs):
    raise ValueError(f"a report PDF fetches nothing: {url}")
