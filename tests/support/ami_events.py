"""AMI events as app_queue sends them, a small agent directory: material for live-state tests."""
from __future__ import annotations

from queue_logic.directory import AgentInfo, Directory, QueueSettings
from queue_logic.model import LiveModel


def make_directory() -> Directory:
    return Directory(
        agents={"1001": AgentInfo("1001", "张伟", "agent1001", (("12345", 0), ("overflow", 0))),
                "1002": AgentInfo("1002", "王芳", "agent1002", (("12345", 0),)),
                "1004": AgentInfo("1004", "Emma", "agent1004", (("english", 0),))},
        queues={"12345": QueueSettings("12345", "12345 普通话", wrapup_seconds=5),
                "overflow": QueueSettings("overflow", "溢出", wrapup_seconds=5),
                "english": QueueSettings("english", "English", wrapup_seconds=0)},
        lines={"12315": "市场监管投诉举报热线", "12345": "12345 政务服务便民热线"})


def day_of(ts: float) -> str:
    return "20261122"


def caller_events(uid: str, queue: str = "12345", dialed: str = "12315", position: int = 1) -> list[dict]:
    """A citizen's channel arriving from the carrier and joining a queue."""
    return [{"Event": "Newchannel", "Channel": f"PJSIP/carrier-{uid}", "Context": "from-carrier", "Exten": dialed,
             "Uniqueid": uid, "Linkedid": uid, "CallerIDNum": "13800000001"},
            {"Event": "QueueCallerJoin", "Channel": f"PJSIP/carrier-{uid}", "Uniqueid": uid, "Linkedid": uid,
             "Queue": queue, "Position": str(position), "Count": str(position), "CallerIDNum": "13800000001"}]


def agent_event(kind: str, uid: str, agent: str = "1001", queue: str = "12345", **extra) -> dict:
    return {"Event": kind, "Channel": f"PJSIP/carrier-{uid}", "Uniqueid": uid, "Linkedid": uid, "Queue": queue,
            "Interface": f"PJSIP/agent{agent}", "MemberName": f"{agent} x", "CallerIDNum": "13800000001",
            "DestChannel": f"PJSIP/agent{agent}-0001", **extra}


def member_event(kind: str, agent: str, queue: str, paused: bool = False, reason: str = "", status: int = 1,
                 **extra) -> dict:
    return {"Event": kind, "Queue": queue, "Interface": f"PJSIP/agent{agent}", "MemberName": f"{agent} x",
            "StateInterface": f"PJSIP/agent{agent}", "Membership": "dynamic", "Penalty": "0",
            "Paused": "1" if paused else "0", "PausedReason": reason, "Status": str(status), "InCall": "0",
            "LastCall": "0", "LastPause": "0", **extra}


def log_in(model: LiveModel, agent: str, queues: tuple[str, ...], now: float = 100.0) -> None:
    for q in queues:
        model.apply(member_event("QueueMemberAdded", agent, q), now)
