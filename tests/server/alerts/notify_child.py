"""A server process for the kill -9 test: delivers due notifications forever (until killed).

Run as ``python -m tests.server.alerts.notify_child DATABASE_URL WEBHOOK_URL SECRET``.
"""

from __future__ import annotations

import sys
import time

from sync.config.schema import Server
from sync.server.alerts.notify import deliver_due
from sync.server.db import Database


def main() -> int:
    db = Database(sys.argv[1])
    server = Server(webhook_url=sys.argv[2], webhook_secret=sys.argv[3], public_url="https://motcua.example.gov.vn")
    print("started", flush=True)
    while True:
        deliver_due(db, server)
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
