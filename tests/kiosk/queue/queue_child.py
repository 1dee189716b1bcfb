"""Child process for the kill -9 test: drives the queue engine with random operations and
prints ``ack <ticket_id> <version>`` after each one returns (i.e. is durable), until killed.

Usage: python -m tests.kiosk.queue.queue_child CONFIG STATE_DIR OUTBOX_DIR SEED
(the state is checkpointed every 7 changes, so kills also land inside checkpoints)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from kiosk.queue import QueueEngine, QueueError
from sync.config import load_config
from sync.outbox import Outbox

PINS = {"nguyen-van-an": "1111", "tran-thi-binh": "2222", "le-hoang-cuong": "3333", "pham-thu-dung": "4444"}


def main() -> None:
    config = load_config(sys.argv[1])
    rng = random.Random(int(sys.argv[4]))
    outbox = Outbox(sys.argv[3])
    engine = QueueEngine(config, Path(sys.argv[2]), outbox=outbox, compact_every=7)
    for counter, clerk in zip((1, 2, 3, 4), PINS):
        engine.login(counter, clerk, PINS[clerk])
    print("ready", flush=True)
    services = [s.id for s in config.services]
    while True:
        counter = rng.choice((1, 2, 3, 4))
        roll = rng.random()
        try:
            if roll < 0.4:
                ticket = engine.issue(rng.choice(services), priority=rng.random() < 0.2)
            elif engine.counter_view(counter)["current"] is None:
                if roll < 0.5 and engine.snapshot()["no_shows"]:
                    ticket = engine.requeue(engine.snapshot()["no_shows"][0]["id"])
                else:
                    ticket = engine.call_next(counter)
            elif roll < 0.75:
                ticket = engine.finish(counter)
            elif roll < 0.82:
                ticket = engine.recall(counter)
            elif roll < 0.9:
                ticket = engine.no_show(counter)
            else:
                ticket = engine.transfer(counter, to_service_id=rng.choice(services),
                                         to_counter_id=rng.choice((None, 1, 2, 3, 4)))
        except QueueError:
            continue
        print(f"ack {ticket.id} {ticket.version}", flush=True)


if __name__ == "__main__":
    main()
