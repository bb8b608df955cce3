"""docs/kpis.md writes down every figure the code computes (and no other), with its Chinese name."""
from __future__ import annotations

from pathlib import Path

from kpis.formulas import ALL

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def formula_rows() -> dict[str, str]:
    """Rows of the tables headed ``| key | 指标 | …``, by key."""
    rows, inside = {}, False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| key | 指标 |"):
            inside = True
        elif not line.startswith("|"):
            inside = False
        elif inside and line.startswith("| `"):
            rows[line.split("`")[1]] = line
    return rows


def test_every_figure_is_documented_with_its_chinese_name():
    rows = formula_rows()
    assert set(rows) == set(ALL)
    for key, formula in ALL.items():
        assert formula.zh in rows[key], (key, formula.zh)
