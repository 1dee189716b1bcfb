"""Child process for the kill -9 test: start the tablet app, tap a face, say so, keep running.

Run as ``python tap_and_wait.py CONFIG DEVICE_DIR`` (with DISPLAY set and the Kivy
environment of tests/conftest.py inherited from pytest); prints ``TAPPED <record id>`` right
after the tap returned (the thank-you screen is up), then idles until the parent kills it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", "1024")
    Config.set("graphics", "height", "768")
    from sync.config import load_config
    from tablet_rating.tablet_app import TabletApp
    from tests.kivy_driver import KivyDriver

    app = TabletApp(load_config(sys.argv[1]), sys.argv[2])
    drive = KivyDriver(app).start()
    face = next(w for w in drive.find(lambda w: type(w).__name__ == "FaceButton") if w.score == 3)
    drive.tap(face)
    assert app.sm.current == "thanks", app.sm.current
    print(f"TAPPED {app.session.last_record['id']}", flush=True)
    drive.run_for(60)


if __name__ == "__main__":
    main()
