"""The admin screens behind the corner gesture: the PIN pad, then status and actions. Layout
in ``kv/admin.kv``; what they show and do is ``kiosk.flow.admin``."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

__all__ = ["AdminPinScreen", "AdminScreen"]


class AdminPinScreen(Screen):
    def spoken_text(self, app) -> str:
        return app.t("pin.title")


class AdminScreen(Screen):
    status = StringProperty("")
    result = StringProperty("")
