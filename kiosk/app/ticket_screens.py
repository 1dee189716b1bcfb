"""The screens of taking a ticket: home, the service choice, the ticket (with the QR code and
short code of the ticket's phone page). Each shows what the ``KioskFlow`` holds; their layout is in ``kv/home.kv``, ``kv/take.kv``, ``kv/ticket.kv``."""

from __future__ import annotations

from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.app.widgets import TapButton
from kiosk.flow import ShownTicket
from kiosk.printer import qr_image
from sync import icons

__all__ = ["HomeScreen", "TakeScreen", "TicketScreen"]


class HomeScreen(Screen):
    def spoken_text(self, app) -> str:
        return ". ".join(app.t(k) for k in ("home.take", "home.take_hint", "home.lookup", "home.lookup_hint"))


class TakeScreen(Screen):
    def spoken_text(self, app) -> str:
        priority = app.t("take.priority_on") if app.priority else app.t("take.priority_touch") + " " + app.t("take.priority")
        return ". ".join([app.t("take.title"), priority] + [s.name.get(app.lang) for s in app.office.services])

    def refresh(self, app) -> None:
        flow = app.flow
        self.ids.error.text = app.t("take.failed") if flow.take_failed else ""
        grid = self.ids.tiles
        grid.clear_widgets()
        for service in flow.config.services:
            count = flow.engine.waiting_count(service.id)
            wait = app.wait_text(flow.engine.estimated_wait_min(service.id))
            tile = TapButton(kind="tile", markup=True)
            tile.service_id = service.id
            icon = icons.markup(icons.service_icon(service.id, service.icon), 46 * app.scale)
            tile.text = (f"{icon}\n[b]{service.name.get(app.lang)}[/b]\n[size={int(20 * app.scale)}]"
                         f"{app.t('take.tile_waiting', count=count, wait=wait)}[/size]")
            tile.bind(on_tap=lambda button: app.take_ticket(button.service_id))
            grid.add_widget(tile)


class TicketScreen(Screen):
    number = StringProperty("")
    service = StringProperty("")
    ahead = StringProperty("")
    wait = StringProperty("")
    status = StringProperty("")
    failed = BooleanProperty(False)
    priority = BooleanProperty(False)
    phone = StringProperty("")  # how to follow the ticket on a phone: scan, or the short code
    qr = ObjectProperty(None, allownone=True)  # texture of the QR code of the ticket's page
    _qr_url = ""

    def spoken_text(self, app) -> str:
        return ". ".join([app.t("ticket.title"), self.number, self.service, self.ahead, self.wait, self.status])

    def show(self, app, shown: ShownTicket | None) -> None:
        if shown is None:
            return
        ticket = shown.ticket
        self.number = str(ticket.number)
        self.service = shown.service_name
        self.priority = ticket.priority
        self.ahead = app.t("ticket.ahead", count=ticket.people_ahead)
        self.wait = app.t("ticket.wait", wait=app.wait_text(ticket.estimated_wait_min))
        self.failed = shown.print_error is not None
        if shown.printing:
            self.status = app.t("ticket.printing")
        elif self.failed:
            self.status = app.t("ticket.print_failed", number=ticket.number)
        else:
            self.status = app.t("ticket.printed")
        self._show_page(app, shown)

    def _show_page(self, app, shown: ShownTicket) -> None:
        """The QR code (the printer's own picture of it) and the short code of the ticket's page."""
        if not shown.page_url:
            self.qr, self.phone, self._qr_url = None, "", ""
            return
        if shown.page_url != self._qr_url:  # drawn once per ticket, not at every change
            picture = qr_image(shown.page_url, 576)
            texture = Texture.create(size=picture.size, colorfmt="luminance")
            texture.blit_buffer(picture.tobytes(), colorfmt="luminance", bufferfmt="ubyte")
            texture.flip_vertical()
            texture.mag_filter = "nearest"
            self.qr, self._qr_url = texture, shown.page_url
        where = shown.code_url.removeprefix("http://").removeprefix("https://")
        self.phone = app.t("ticket.phone", url=where, code=shown.code)
