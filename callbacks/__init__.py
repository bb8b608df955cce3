"""Floor 3, domain: missed-call callbacks (漏接回拨) — the list and its rules, and the one outbound
dialer's attempt bookkeeping (AMI Originate). Imports only ``hotline`` and ``db``."""
