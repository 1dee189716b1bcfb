"""The lobby kiosk and the office queue it issues tickets into.

Holds the queue (``kiosk.queue``), the office hub (``kiosk.hub``: LAN HTTP API, clerk console
and lobby display pages), the ticket printer, the procedure catalog and its search, the kiosk
device that owns outbox, hub and uploader (``kiosk.device``), the kiosk's behaviour in plain
Python (``kiosk.flow``) and its Kivy screens (``kiosk.app``). Only ``kiosk.app`` imports Kivy;
everything else imports and tests without a window. Errors raised on purpose are
``kiosk.errors.KioskError``.
"""
