"""The lobby kiosk's touchscreen app (Kivy). The rest of ``kiosk`` (queue, hub, catalog,
search, printer) does not import Kivy.

``KioskApp`` is loaded on first use, so ``kiosk.app.launch`` can set Kivy up (no command-line
parsing, fullscreen, one input provider) before Kivy is imported at all."""

__all__ = ["KioskApp"]


def __getattr__(name: str):
    if name == "KioskApp":
        from kiosk.app.kiosk_app import KioskApp

        return KioskApp
    raise AttributeError(f"module 'kiosk.app' has no attribute {name!r}")
