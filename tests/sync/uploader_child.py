"""A device process for the kill -9 test: uploads one outbox until it is empty, then exits 0.

Run as ``python -m tests.sync.uploader_child DEVICE_DIR SERVER_URL TOKEN``. The test kills
it with SIGKILL while batches are in flight and starts it again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sync.outbox import Outbox
from sync.uploader import Uploader


def main() -> int:
    device_dir, server_url, token = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    with Outbox(device_dir / "outbox") as outbox:
        uploader = Uploader(outbox, server_url=server_url, token=token, device_dir=device_dir, batch_size=10,
                            timeouts=(1, 1), backoff_cap_s=0.3, interval_s=0.2, heartbeat_s=3600).start()
        print("started", flush=True)
        while len(outbox):
            time.sleep(0.05)
        uploader.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
