"""Floor 3, domain: live queue and agent state (AMI listener → Redis), agent sessions (签入/示忙),
AMI actions, surge announcements. Imports only ``hotline`` and ``db``."""
