"""One backlog run in its own process, so its peak RSS is the pipeline's alone:

    python -m bench.backlog SETTINGS_JSON   → prints {"seconds", "cases", "peak_mb"} as
    JSON

The parent (python -m bench) has already put the mails in the inbox.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Settings  # noqa: E402
from pipeline.workflow.pipeline import Pipeline  # noqa: E402


def main() -> None:
    settings = Settings.model_validate(json.loads(sys.argv[1]))
    pipeline = Pipeline(settings)
    t = time.perf_counter()
    report = pipeline.handle_inbox()
    seconds = time.perf_counter() - t
    pipeline.close()
    # VmHWM: this process image's peak RSS. (ru_maxrss would carry the forking parent's
    # peak across exec, which made the first runs report the benchmark's own memory as
    # ours.)
    hwm = next(
        line
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    peak_mb = int(hwm.split()[1]) / 1024
    print(
        json.dumps({"seconds": seconds, "cases": len(report.cases), "peak_mb": peak_mb})
    )


if __name__ == "__main__":
    main()
