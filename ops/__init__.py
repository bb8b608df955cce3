"""Floor 6, the operations roof: the ``hotline`` CLI (one module per command group), process supervision,
Asterisk provisioning and rendering, the rq worker's schedule. May import every floor below."""
