"""The office hub: the queue engine on the office LAN.

``OfficeHub(config, outbox)`` serves the JSON API, the server-sent event stream, the clerk
console page (``/console``) and the lobby display page (``/display``) from a background
thread; ``hub.engine`` is the ``kiosk.queue.QueueEngine`` the kiosk app issues tickets into.
"""

from kiosk.hub.server import HubStartError, OfficeHub

__all__ = ["HubStartError", "OfficeHub"]
