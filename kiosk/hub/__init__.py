"""The office hub: the queue engine on the office LAN.

``OfficeHub(config, outbox)`` (``office_hub.py``) serves the JSON API, the server-sent event
stream, the clerk console page (``/console``) and the lobby display page (``/display``) from
a background thread; ``hub.engine`` is the ``kiosk.queue.QueueEngine`` the kiosk app issues
tickets into. Layers, each importing only those below it: ``core`` (engine, voice, events,
faults; no HTTP) ← ``routes`` (Starlette) ← ``office_hub`` (core + routes + ``lan_server``).
"""

from kiosk.hub.lan_server import HubStartError
from kiosk.hub.office_hub import OfficeHub

__all__ = ["HubStartError", "OfficeHub"]
