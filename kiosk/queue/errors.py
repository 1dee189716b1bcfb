"""The queue's one error: an operation that is not possible now, in words a clerk understands."""

from kiosk.errors import KioskError

__all__ = ["QueueError"]


class QueueError(KioskError):
    """An operation that is not possible now (e.g. finish with nothing called); the message
    says why in words a clerk understands. ``code`` is a stable machine-readable reason."""

    def __init__(self, message: str, code: str = "invalid"):
        self.code = code
        super().__init__(message)
