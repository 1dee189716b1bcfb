"""A separate process that writes an outbox in a loop, for the kill -9 tests.

Prints ``A <id>`` after each append has returned, ``T <id>`` for each record it is about
to acknowledge and ``K <id>`` once that ack has returned, flushing every line, so the parent
knows exactly what was promised — and which acks were in flight — when it kills this
process. With ``--fsize BYTES`` it runs under a file-size limit to act like a
full disk.
"""

import argparse
import resource
import signal
import sys

from sync import records
from sync.outbox import Outbox, OutboxWriteError

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("--ack-every", type=int, default=0)
parser.add_argument("--fsize", type=int, default=0)
args = parser.parse_args()

if args.fsize:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize, args.fsize))

outbox = Outbox(args.path)


def make(seq: int) -> dict:
    return records.new_rating(office_id="phuong-ben-thanh", device_id=outbox.device_id, seq=seq, counter_id=1,
                              score=1, scale=3, satisfied=False, lang="vi", reasons=["cho-lau"],
                              comment="Phải chờ rất lâu mới được gọi số, cần bố trí thêm cán bộ " * 2)


count = 0
while True:
    try:
        record = outbox.append_new(make)
    except OutboxWriteError as exc:
        print(f"FULL {exc}", flush=True)
        sys.exit(3)
    print(f"A {record['id']}", flush=True)
    count += 1
    if args.ack_every and count % args.ack_every == 0:
        batch = outbox.pending(args.ack_every // 2)
        for r in batch:
            print(f"T {r['id']}", flush=True)
        outbox.ack([r["id"] for r in batch])
        for r in batch:
            print(f"K {r['id']}", flush=True)
