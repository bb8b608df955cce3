"""The centre's numbers (考核指标): call and ticket KPIs, each with its numerator, denominator and formula.

Computed by SQL aggregation over the project's own rows (``calls``, ``tickets``,
``ticket_events``), sliceable by queue, line, department, topic, district,
agent, hour, weekday and day in centre time. ``kpis.report`` is the entry point;
``docs/kpis.md`` writes every formula down.
"""
