"""The sipp processes of a load run (Debian ``sip-tester``): agents' registrations, agents, callers.

Every process is bounded: sipp's own ``-timeout`` (a global time limit), ``-m`` (a call limit)
and the caller here waits with a timeout and then kills what is left.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import HotlineError


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if not found:
        raise HotlineError("sipp is not installed", "apt-get install sip-tester (setup.sh installs it)")
    return found


@dataclass
class SippRun:
    name: str
    process: subprocess.Popen
    log_file: Path
    stat_file: Path
    error_file: Path
    control_port: int | None = None

    def command(self, text: str) -> None:
        """A sipp control command over its UDP control port (e.g. ``cset rate 4``, ``q``)."""
        if self.control_port is None:
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(text.encode(), ("127.0.0.1", self.control_port))

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.wait(10)

    def log_lines(self) -> list[str]:
        return self.log_file.read_text(errors="replace").splitlines() if self.log_file.exists() else []

    def errors(self) -> str:
        return self.error_file.read_text(errors="replace") if self.error_file.exists() else ""


def start(name: str, scenario: Path, work: Path, *, pbx: str, local_port: int, media_port: int,
          time_limit: float, extra: list[str], control_port: int | None = None) -> SippRun:
    """One sipp; its log, statistics and error files go to ``work``."""
    log_file, stat_file, error_file = work / f"{name}.log", work / f"{name}.stat.csv", work / f"{name}.err"
    args = [sipp_binary(), pbx, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(local_port),
            "-mp", str(media_port), "-timeout", f"{int(time_limit)}s", "-nostdin", "-max_socket", "2000",
            "-trace_logs", "-log_file", str(log_file), "-trace_err", "-error_file", str(error_file),
            "-trace_stat", "-stf", str(stat_file), "-fd", "5", *extra]
    if control_port is not None:
        args += ["-cp", str(control_port)]
    out = open(work / f"{name}.out", "w")
    process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work)
    out.close()
    return SippRun(name, process, log_file, stat_file, error_file, control_port)
