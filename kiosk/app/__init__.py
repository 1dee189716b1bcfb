"""The lobby kiosk's touchscreen app (Kivy). Importing this package imports Kivy; the rest of
``kiosk`` (queue, hub, catalog, search, printer) does not."""

from kiosk.app.app import KioskApp

__all__ = ["KioskApp"]
