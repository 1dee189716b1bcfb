"""What staff set on one tablet: counter, hub address, mode, clerk, language.

The office ``config.yaml`` gives the defaults (``tablet.*``, ``hub_url``, ``office.language``);
what staff change on the tablet's settings screen (behind the admin PIN) is kept in
``<device dir>/tablet-settings.json``, written atomically, and wins over the config at the
next start. A setting that no longer fits the config (a counter or clerk removed from it)
falls back to the config's value with a logged warning instead of stopping the tablet.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sync.config import Config
from sync.store import write_atomically

__all__ = ["SETTINGS_FILE", "SettingsError", "TabletSettings"]

log = logging.getLogger(__name__)

SETTINGS_FILE = "tablet-settings.json"
_URL_RE = re.compile(r"^https?://[^/\s]+")


class SettingsError(ValueError):
    """A setting staff entered is not usable; the message says which and why."""


@dataclass(frozen=True)
class TabletSettings:
    counter_id: int
    hub_url: str
    mode: str
    lang: str
    clerk_id: str | None = None

    @classmethod
    def defaults(cls, config: Config, counter_id: int | None = None) -> TabletSettings:
        return cls(counter_id=counter_id or config.tablet.counter_id, hub_url=config.hub_url,
                   mode=config.tablet.mode, lang=config.office.language, clerk_id=config.tablet.clerk_id)

    def check(self, config: Config) -> TabletSettings:
        """Return these settings if usable with ``config``; raise ``SettingsError`` naming the problem."""
        try:
            config.counter(self.counter_id)
        except KeyError:
            known = ", ".join(str(c.id) for c in config.counters)
            raise SettingsError(f"counter: unknown counter {self.counter_id} (known: {known})") from None
        if self.clerk_id is not None:
            try:
                config.clerk(self.clerk_id)
            except KeyError:
                raise SettingsError(f"clerk: unknown clerk {self.clerk_id!r}") from None
        if self.mode not in ("linked", "standalone"):
            raise SettingsError(f"mode: expected 'linked' or 'standalone', found {self.mode!r}")
        if self.lang not in ("vi", "en"):
            raise SettingsError(f"language: expected 'vi' or 'en', found {self.lang!r}")
        if not _URL_RE.match(self.hub_url or ""):
            raise SettingsError(f"hub address: expected http://host:port, found {self.hub_url!r}")
        return replace(self, hub_url=self.hub_url.strip().rstrip("/"))

    @classmethod
    def load(cls, device_dir: Path, config: Config, counter_id: int | None = None) -> TabletSettings:
        """Saved settings over the config's defaults; ``counter_id`` (``--counter N``) wins over both."""
        base = cls.defaults(config, counter_id)
        path = Path(device_dir) / SETTINGS_FILE
        if not path.exists():
            return base
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            merged = replace(base, **{k: v for k, v in saved.items() if k in asdict(base)})
            if counter_id is not None:
                merged = replace(merged, counter_id=counter_id)
            return merged.check(config)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring the saved tablet settings in %s: %s", path, exc)
            return base

    def save(self, device_dir: Path) -> None:
        path = Path(device_dir) / SETTINGS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(asdict(self), ensure_ascii=False, indent=1).encode())
