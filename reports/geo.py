"""Areas of the map's polygons (民情地图), so the map colours tickets per km², not just tickets.

GeoJSON rings in lon/lat degrees are projected locally (equirectangular about
the ring's mean latitude) and measured with the shoelace formula: exact enough
for a district's few hundred km².
"""
from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def ring_area_km2(ring: list[list[float]]) -> float:
    if len(ring) < 4:
        return 0.0
    lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
    xy = [(math.radians(lon) * math.cos(lat0) * EARTH_RADIUS_KM, math.radians(lat) * EARTH_RADIUS_KM)
          for lon, lat in ring]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(xy, xy[1:], strict=False))) / 2


def feature_area_km2(feature: dict) -> float:
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return sum(ring_area_km2(rings[0]) - sum(ring_area_km2(hole) for hole in rings[1:]) for rings in polygons)


def areas_by_code(collection: dict) -> dict[str, float]:
    return {f["properties"]["code"]: feature_area_km2(f) for f in collection["features"]}
