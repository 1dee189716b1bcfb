"""Fixtures for the device-sync tests: outboxes with real records, and a scriptable HTTP peer.

``peer`` is a tiny HTTP server on 127.0.0.1 that by default acknowledges batches the way the
contract says (accepted once, duplicate after) and keeps what it received; a test replaces
``peer.reply`` to answer anything else (a captive portal page, a shuffled list…). It is a
test peer for checking the uploader's reading of answers — the end-to-end proofs run against
the real central server (``tests/sync/test_uploader_e2e.py``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sync import records
from sync.outbox import Outbox
from tests.central import Central

OFFICE = "phuong-ben-thanh"
ROOT_DIR = Path(__file__).resolve().parents[2]


def append_ratings(outbox: Outbox, count: int, office_id: str = OFFICE, **overrides) -> list[dict]:
    """Append ``count`` valid rating records (counter 1, scale 3) and return them."""
    made = []
    for i in range(count):
        def make(seq, i=i):
            fields = dict(office_id=office_id, device_id=outbox.device_id, seq=seq, counter_id=1 + i % 4,
                          score=3 - i % 3, scale=3, satisfied=(3 - i % 3) >= 2, lang="vi")
            fields.update(overrides)
            return records.new_rating(**fields)
        made.append(outbox.append_new(make))
    return made


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "device" / "outbox")
    yield box
    box.close()


class Peer:
    """A scriptable HTTP server standing in for the network's answer (not for our server)."""

    def __init__(self):
        self.stored: dict[str, dict] = {}
        self.batches: list[dict] = []
        self.headers: list[dict] = []
        self.reply = self.ideal_reply
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                if method == "POST":
                    peer.batches.append(body)
                    peer.headers.append(dict(self.headers))
                status, headers, payload = peer.reply(method, self.path, body, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                self._answer("POST")

            def do_GET(self):
                self._answer("GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ideal_reply(self, method, path, body, headers):
        results = []
        for record in body["records"]:
            status = "duplicate" if record["id"] in self.stored else "accepted"
            self.stored[record["id"]] = record
            results.append({"id": record["id"], "status": status})
        return 200, {"Content-Type": "application/json"}, json.dumps({"results": results}).encode()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


# --- the real central server, in-process on a loopback port ------------------------------------


@pytest.fixture
def central(office_config, database_url):
    """The real central server on a fresh database (SQLite, then PostgreSQL), office imported."""
    server = Central(office_config, database_url)
    yield server
    server.close()


@pytest.fixture
def central_sqlite(office_config, tmp_path):
    """The real central server on a fresh SQLite file only (for the slower scenarios)."""
    server = Central(office_config, f"sqlite:///{tmp_path / 'central.db'}")
    yield server
    server.close()
