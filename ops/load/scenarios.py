"""sipp scenario files under bench/load/, with their ``{placeholders}`` filled for one run."""
from __future__ import annotations

import re
from pathlib import Path

from hotline.config import PROJECT_DIR
from hotline.errors import HotlineError

SCENARIO_DIR = PROJECT_DIR / "bench" / "load"
SIPP_MEDIA = Path("/usr/share/sip-tester")     # Debian sip-tester: g711a.pcap, dtmf_2833_<digit>.pcap
VOICE_PCAP = SIPP_MEDIA / "g711a.pcap"         # 7.05 s of speech, PCMA
VOICE_MS = 7000                                # the scenarios play VOICE_PCAP again after this long


def dtmf_pcap(digit: str) -> Path:
    return SIPP_MEDIA / f"dtmf_2833_{ {'#': 'pound', '*': 'star'}.get(digit, digit)}.pcap"


def fill(name: str, out_dir: Path, values: dict) -> Path:
    """Write bench/load/NAME with every {key} replaced; an unfilled placeholder is an error."""
    text = (SCENARIO_DIR / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    left = sorted(set(re.findall(r"\{([a-z_]+)\}", text)))
    if left:
        raise HotlineError(f"scenario {name}: no value for {', '.join(left)}", "pass them in ops/load/scenarios.py")
    out = out_dir / name
    out.write_text(text)
    return out
