"""The real central server for device-side tests: ``create_app`` under uvicorn in a thread.

``Central(config, database_url)`` migrates the database, registers the office from
``config``, and serves on 127.0.0.1 (a free port, or ``port`` — so a test can stop the
server and bring it back at the same address, as when the province's server goes down).
"""

from __future__ import annotations

import threading


class Central:
    """The real central server (``sync.server.app.create_app``) under uvicorn in a thread."""

    def __init__(self, config, database_url: str, settings=None, port: int = 0):
        import socket

        import uvicorn
        from sqlalchemy import text

        from sync.server.app import create_app
        from sync.server.db import Database
        from sync.server.offices import import_office

        self.text = text
        self.config = config
        self.db = Database(database_url)
        self.app = create_app(config, settings=settings, database=self.db)
        with self.db.begin() as s:
            import_office(s, config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                                    timeout_keep_alive=30))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        import time

        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self._thread.is_alive():
                raise RuntimeError("the central server did not start")
            time.sleep(0.02)

    def code(self, kind: str = "kiosk", name: str = "Kiosk sảnh") -> str:
        """A fresh one-time enrollment code for this office."""
        from sync.server.devices import create_enrollment_code

        with self.db.begin() as s:
            code, _ = create_enrollment_code(s, self.config.office.id, kind, name)
        return code

    def rating_ids(self) -> list[str]:
        """Every stored rating id (a list: a record stored twice would show twice)."""
        with self.db.engine.connect() as conn:
            return [row[0] for row in conn.execute(self.text("SELECT id FROM ratings"))]

    def quarantined(self) -> int:
        with self.db.engine.connect() as conn:
            return conn.execute(self.text("SELECT count(*) FROM quarantine")).scalar()

    def device(self, device_id: str) -> dict:
        with self.db.engine.connect() as conn:
            row = conn.execute(self.text("SELECT * FROM devices WHERE id = :id"), {"id": device_id}).mappings().one()
            return dict(row)

    def close(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self.db.dispose()
