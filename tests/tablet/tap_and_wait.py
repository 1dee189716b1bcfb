"""Child process for the kill -9 test: start the tablet app, tap a face, say so, keep running.

Run as ``python tap_and_wait.py CONFIG DEVICE_DIR``; prints ``TAPPED <record id>`` right after
the tap returned (the thank-you screen is up), then idles until the parent kills it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tests.conftest  # noqa: E402,F401  (Kivy environment: no argv parsing, throw-away home)
from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1024")
Config.set("graphics", "height", "768")

from sync.config import load_config  # noqa: E402
from tablet_rating.app import TabletApp  # noqa: E402
from tests.kivy_driver import KivyDriver  # noqa: E402


def main() -> None:
    config = load_config(sys.argv[1])
    app = TabletApp(config, sys.argv[2])
    drive = KivyDriver(app).start()
    face = next(w for w in drive.find(lambda w: type(w).__name__ == "FaceButton") if w.score == 3)
    drive.tap(face)
    assert app.sm.current == "thanks", app.sm.current
    print(f"TAPPED {app.session.last_record['id']}", flush=True)
    drive.run_for(60)


if __name__ == "__main__":
    main()
