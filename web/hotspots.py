"""Hotspots (热点) and the district map (民情地图) for the centre: what citizens call about, where, and what is unusual.

Reads ``reports.hotspots``. Every table has its CSV (``format=csv&table=…``);
the map draws the GeoJSON shipped under static/geo with the vendored ECharts,
coloured by tickets per km² of the window. Centre roles only.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request

from db.models import Role
from kpis.errors import InvalidInput
from kpis.period import Period
from reports import geo, hotspots
from tickets.privacy import mask_phone
from web import listing
from web.auth import login_required
from web.database import session

CENTRE = (Role.reviewer, Role.supervisor, Role.admin)
GEO_DIR = Path(__file__).parent / "static" / "geo"
GEO_FILES = {"district": "jinan_districts.geojson", "street": "jinan_streets.geojson"}
DEFAULT_DAYS = 7

bp = Blueprint("hotspots", __name__, url_prefix="/supervisor/hotspots")
bp.register_error_handler(InvalidInput, listing.bad_input)


def _window() -> Period:
    settings = current_app.config["HOTLINE_SETTINGS"]
    today = settings.local_now().date()
    if request.args.get("from") or request.args.get("to"):
        return Period.parse(request.args.get("from"), request.args.get("to"), settings.timezone, today)
    return Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today, settings.timezone)


def _day() -> dt.date:
    settings = current_app.config["HOTLINE_SETTINGS"]
    raw = request.args.get("day", "").strip()
    if not raw:
        return settings.local_now().date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.of({"day": f"{raw!r} is not a date: write YYYY-MM-DD (centre time)"}) from None


def _tables(window: Period, day: dt.date) -> dict[str, tuple[list[str], list[list]]]:
    s, tz = session(), window.timezone
    counts = lambda rows: (["code", "name", "tickets"], [[c.key, c.label, c.count] for c in rows])  # noqa: E731
    spike_head = ["code", "name", "today", "baseline (same weekday, last 4 weeks)", "mean", "z", "p", "spike"]

    def spikes(by):
        return spike_head, [[x.key, x.label, x.today, " ".join(map(str, x.baseline)), round(x.mean, 2),
                             round(x.z, 2), f"{x.p:.2g}", "yes" if x.is_spike else ""]
                            for x in hotspots.spikes(s, day, tz, by)]
    return {
        "topics": counts(hotspots.top(s, window, "topic")),
        "districts": counts(hotspots.top(s, window, "district")),
        "streets": counts(hotspots.top(s, window, "street")),
        "spikes_topic": spikes("topic"),
        "spikes_district": spikes("district"),
        "repeat_callers": (["caller", "calls", "first", "last"],
                           [[mask_phone(r.caller), r.calls, _local(r.first), _local(r.last)]
                            for r in hotspots.repeat_callers(s, window)]),
    }


def _local(utc: dt.datetime) -> str:
    from web.ticket_views import local_time
    return local_time(utc)


TITLES = {"topics": "热点诉求 Top topics", "districts": "热点区域 Top districts", "streets": "热点街道 Top streets",
          "spikes_topic": "突增诉求 Spikes by topic", "spikes_district": "突增区域 Spikes by district",
          "repeat_callers": "重复来电 Repeat callers (withheld numbers never counted)"}


@bp.get("/")
@login_required(*CENTRE)
def page():
    window, day = _window(), _day()
    tables = _tables(window, day)
    table = request.args.get("table")
    if listing.wants_csv():
        if table not in tables:
            raise InvalidInput.of({"table": f"one of {', '.join(tables)}"})
        head, rows = tables[table]
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(head)
        writer.writerows(rows)
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="hotspots_{table}_{window.first}_{window.last}.csv"'})
    return render_template("reports/hotspots.html", tables=tables, titles=TITLES, window=window, day=day,
                           q={"from": window.first.isoformat(), "to": window.last.isoformat(), "day": day.isoformat()})


def map_data(window: Period, level: str) -> dict:
    """The map's series: each place's tickets, area and tickets per km² of the window."""
    if level not in GEO_FILES:
        raise InvalidInput.of({"level": "district or street"})
    collection = json.loads((GEO_DIR / GEO_FILES[level]).read_text(encoding="utf-8"))
    areas = geo.areas_by_code(collection)
    found = hotspots.counts(session(), window, level)
    places = []
    for feature in collection["features"]:
        code, name = feature["properties"]["code"], feature["properties"]["name"]
        n = found[code].count if code in found else 0
        places.append({"code": code, "name": name, "tickets": n, "area_km2": round(areas[code], 1),
                       "value": round(n / areas[code], 3) if areas[code] else 0})
    return {"level": level, "geojson": f"geo/{GEO_FILES[level]}", "places": places}


@bp.get("/map")
@login_required(*CENTRE)
def district_map():
    window = _window()
    level = request.args.get("level", "district")
    data = map_data(window, level)
    if listing.wants_csv():
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(["code", "name", "tickets", "area_km2", "tickets_per_km2"])
        writer.writerows([p["code"], p["name"], p["tickets"], p["area_km2"], p["value"]] for p in data["places"])
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="map_{level}_{window.first}.csv"'})
    return render_template("reports/map.html", data=data, window=window, level=level,
                           map_json=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
                           q={"from": window.first.isoformat(), "to": window.last.isoformat()})
