"""matplotlib is loaded only when something is drawn.

It costs about 30 MB of resident memory, and bench/memory.py's target (< 150 MB for one process with
100k people during a sweep) was missed while the recap and the PDF modules imported it at the top.
A process that answers messages and sends prompts must start
without it; tests/e2e/test_recap.py and tests/unit/insights/test_report.py show it still draws.
"""

from __future__ import annotations

import subprocess
import sys


def test_the_bot_starts_without_matplotlib() -> None:
    script = "import sys, handlers.app, gutback.cli; print('matplotlib' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert loaded == "False"
