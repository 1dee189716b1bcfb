"""The office queue: tickets, counters and the rules that decide who is called next.

Plain Python with no UI or web imports, so the kiosk app issues tickets in-process, the hub
serves the same engine over the LAN, and tests drive it directly with a fake clock.

* ``engine``: ``QueueEngine``, the operations (issue, call, finish…) and their durability;
* ``ticket``: the ``Ticket`` model and a counter's state;
* ``rules``: numbering, who is called next (priority rule), people ahead;
* ``estimates``: service-time averages and estimated waits;
* ``views``: the JSON shapes the hub, the kiosk and the tablets read;
* ``ticket_records``: the versioned ``ticket`` records the queue gives the outbox;
* ``archive``: the day's file of tickets that reached an end;
* ``store``: the checkpoint + journal the live state is saved in.
"""

from kiosk.queue.engine import Listener, QueueEngine
from kiosk.queue.errors import QueueError
from kiosk.queue.ticket import Ticket

__all__ = ["Listener", "QueueEngine", "QueueError", "Ticket"]
