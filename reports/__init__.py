"""Floor 3, the centre's reports (报表) and hotspots (热点): top topics and places, spikes, repeat callers, the map's counts.
Imports hotline/, db/ and kpis/ (periods in centre time and the KPI tables a report prints), never web/agi/ops."""
