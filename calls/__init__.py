"""Floor 3, domain: call records (通话记录) — their JSON form, the calls Python did not see (parked in
AstDB while it was away), stale records. Imports only ``hotline`` and ``db``."""
