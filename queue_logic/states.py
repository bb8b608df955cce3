"""Names of agent states and pause reasons (坐席状态、示忙原因), shared by listener, web and CLI."""
from __future__ import annotations

LOGGED_OUT = "logged_out"   # 签出
IDLE = "idle"               # 空闲: app_queue may offer a call
RINGING = "ringing"         # 振铃
TALKING = "talking"         # 通话
WRAPUP = "wrapup"           # 话后整理: app_queue's wrapuptime after a queue call
PAUSED = "paused"           # 示忙, with a reason

STATES = (LOGGED_OUT, IDLE, RINGING, TALKING, WRAPUP, PAUSED)
STATE_LABELS = {LOGGED_OUT: "签出 logged out", IDLE: "空闲 idle", RINGING: "振铃 ringing",
                TALKING: "通话 talking", WRAPUP: "话后整理 wrap-up", PAUSED: "示忙 paused"}

# Pause reasons an agent or supervisor may give; the key goes to Asterisk as PausedReason.
PAUSE_REASONS = {"break": "休息 break", "training": "培训 training", "meeting": "会议 meeting",
                 "wrapup": "话后整理 wrap-up"}
# (the softphone's feature codes *23<digit> for them are hotline.dialplan.PAUSE_DIGITS)

# ast_device_state values as app_queue reports them in Status
DEVICE_NOT_INUSE, DEVICE_INUSE, DEVICE_BUSY, DEVICE_INVALID, DEVICE_UNAVAILABLE = 1, 2, 3, 4, 5
DEVICE_RINGING, DEVICE_RINGINUSE, DEVICE_ONHOLD = 6, 7, 8
BUSY_DEVICE = frozenset({DEVICE_INUSE, DEVICE_BUSY, DEVICE_RINGINUSE, DEVICE_ONHOLD})
RINGING_DEVICE = frozenset({DEVICE_RINGING})
OFFLINE_DEVICE = frozenset({DEVICE_INVALID, DEVICE_UNAVAILABLE})
