"""When a device tries its next upload: backoff with full jitter, and the file that remembers it.

After a failure the uploader waits ``backoff_delay(failures)`` (exponential, full jitter,
capped at five minutes), or longer when the server asked for a pause (``Retry-After``, capped
at an hour). The schedule and the last outcome live in ``<device dir>/uploader-state.json``
so a restarted device neither hammers a struggling server nor forgets how long it has been
offline; ``read_state`` reads it back (the uploader at start, ``sync-status`` any time).

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from pathlib import Path

__all__ = ["BACKOFF_CAP_S", "RETRY_AFTER_MAX_S", "STATE_FILE", "backoff_delay", "read_state"]

log = logging.getLogger(__name__)

STATE_FILE = "uploader-state.json"
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
RETRY_AFTER_MAX_S = 3600.0  # a Retry-After beyond an hour is treated as an hour


def backoff_delay(failures: int, rng: Callable[[], float] = random.random,
                  base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """Seconds to wait after ``failures`` consecutive failures: full jitter, capped.

    Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries
    of many offices coming back online at once, instead of synchronising them.
    """
    ceiling = min(cap, base * (2 ** min(max(failures, 1) - 1, 30)))
    return rng() * ceiling


def read_state(device_dir: Path) -> dict:
    """The uploader's persisted schedule and last outcome (empty when it never ran)."""
    path = Path(device_dir) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except FileNotFoundError:
        return {}
    except ValueError:
        log.warning("uploader state %s is unreadable; starting a fresh schedule", path)
        return {}
