"""Code run in a fresh interpreter, for the tests that check what a path imports (or does not): the
repository's root on the path, the code's last printed line read back as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def fresh_json(code: str, *args: str, timeout: float = 120) -> Any:
    """Run ``code`` with ``args`` in a new interpreter; what its last printed line says (JSON)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
