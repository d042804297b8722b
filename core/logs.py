"""The profile's log file. It holds ids, counts and timings, never health data.

Code logs only ids and counts; as a second line of defence a filter masks anything that looks like a NIR,
a date or an e-mail address before a record is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_MASKS = [
    (re.compile(r"\b[12378]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2A|2B)\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b"), "[nir]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"), "[date]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[address]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def setup_logging(profile_dir: Path, level: int = logging.INFO) -> Path:
    """Log to ``<profile>/missive.log`` (rotated, 1 MB x 3)."""
    path = profile_dir / "missive.log"
    root = logging.getLogger("missive")
    if any(getattr(h, "_missive", False) for h in root.handlers):
        return path
    profile_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ScrubFilter())
    handler._missive = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path
