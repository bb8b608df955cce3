"""sipp (Debian ``sip-tester``) as a real SIP caller from the carrier's side, for fault tests."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent
PCAP = Path("/usr/share/sip-tester/g711a.pcap")   # shipped with sip-tester: 8 kHz A-law speech


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if found is None:
        raise AssertionError("sipp is not installed: apt-get install sip-tester (setup.sh installs it)")
    return found


@dataclass
class SippCall:
    process: subprocess.Popen
    log: Path

    def vanish(self) -> None:
        """The far end disappears: SIGKILL, so no BYE and no more RTP."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def call_from_carrier(folder: Path, *, pbx_port: int, number: str, caller: str, local_port: int,
                      media_port: int, scenario: str = "citizen_vanishes.xml", hold_ms: int = 3000) -> SippCall:
    """One sipp call to ``number`` on the PBX from 127.0.0.1 (taken as the carrier by identify)."""
    folder.mkdir(parents=True, exist_ok=True)
    inf = folder / "callers.csv"
    inf.write_text(f"SEQUENTIAL\n{caller};\n")
    log = folder / "sipp.out"
    cmd = [sipp_binary(), f"127.0.0.1:{pbx_port}", "-sf", str(SCENARIOS / scenario), "-inf", str(inf),
           "-s", number, "-i", "127.0.0.1", "-p", str(local_port), "-mp", str(media_port),
           "-key", "pcap", str(PCAP), "-d", str(hold_ms), "-m", "1", "-l", "1", "-nostdin", "-trace_err",
           "-error_file", str(folder / "sipp-errors.log")]
    with log.open("w") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=folder)
    return SippCall(process, log)
