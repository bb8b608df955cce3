"""Checks that a port is free before a service binds it, with a message a person can act on."""
from __future__ import annotations

import socket

from hotline.errors import HotlineError


def is_free(host: str, port: int, *, udp: bool = False) -> bool:
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        if not udp:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def assert_free(host: str, port: int, what: str, *, udp: bool = False) -> None:
    if not is_free(host, port, udp=udp):
        proto = "udp" if udp else "tcp"
        raise HotlineError(
            f"{what} cannot start: port {port}/{proto} on {host} is already in use",
            f"stop whatever holds it (`ss -lpn | grep :{port}`), or move the hotline's ports "
            f"with HOTLINE_PORT_OFFSET=100")
