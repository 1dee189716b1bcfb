"""The one root of the errors the kiosk part raises on purpose.

Every deliberate failure of the queue, the hub, the printer, the catalog and the kiosk device
is a ``KioskError``: callers that only need "the kiosk refused, here is why" catch this one
class, and each subclass's message says what went wrong and how to fix it.
"""

__all__ = ["KioskError"]


class KioskError(Exception):
    """A failure of the kiosk part with a message for staff (what, where, how to fix)."""
