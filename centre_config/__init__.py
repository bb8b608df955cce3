"""The centre configures itself (中心配置): lines, queues, agents, menus, switches and holiday overrides,
validated, versioned, audited and restorable. Imports hotline/, db/ and ivr/ (its menu loader and switches)."""
