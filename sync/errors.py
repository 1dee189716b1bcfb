"""The root of every error the device half of ``sync`` raises on purpose.

Each part of Thước Đo has one root error class, so a caller that wants "anything this part
refused, in words" catches one name: ``SyncError`` here (configuration, records, outbox and
store, enrollment, config pull, uploads, the pending file). Each subclass carries a message
written for the person who can fix the cause. The central server has its own root
(``sync.server.errors.ApiError``).
"""

from __future__ import annotations

__all__ = ["SyncError"]


class SyncError(Exception):
    """Something in the device half of ``sync`` could not be done; the message says why."""
