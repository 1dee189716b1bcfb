"""The look-up screens: fields, the procedures of a field, search with the on-screen keyboard
(one procedure's detail is ``kiosk.app.detail``). They show what ``kiosk.flow.lookup`` finds;
layout in ``kv/fields.kv``, ``procedures.kv``, ``search.kv``."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.app.detail import escape
from kiosk.app.widgets import TapButton
from kiosk.catalog import Procedure
from kiosk.procedure_summary import time_limit

__all__ = ["FieldsScreen", "ProceduresScreen", "SearchScreen"]

_ROW_NAME_CHARS = 150  # longer names are cut in lists; the detail screen shows them whole


class FieldsScreen(Screen):
    def spoken_text(self, app) -> str:
        return ". ".join([app.t("fields.title"), app.t("fields.search")] + [n or app.t("fields.none")
                                                                             for n, _ in app.catalog.fields()])

    def refresh(self, app) -> None:
        grid = self.ids.fields
        grid.clear_widgets()
        for name, count in app.flow.lookup.fields():
            tile = TapButton(kind="tile", markup=True, size_hint_y=None, height=app.target * 1.5)
            tile.bind(texture_size=self._even_heights)
            tile.field_name = name
            label = name or app.t("fields.none")
            tile.text = f"[b]{label}[/b]\n[size={int(18 * app.scale)}]{app.t('fields.count', count=count)}[/size]"
            tile.bind(on_tap=lambda button: app.open_field(button.field_name))
            grid.add_widget(tile)

    def _even_heights(self, *_args) -> None:
        """Every tile as tall as the tallest one, so the rows of the grid line up."""
        tiles = self.ids.fields.children
        app = App.get_running_app()
        height = max([app.target * 1.5] + [t.texture_size[1] + dp(24) for t in tiles])
        for tile in tiles:
            tile.height = height


def _result_row(app, proc: Procedure) -> TapButton:
    row = TapButton(kind="row", markup=True, size_hint_y=None, height=app.target * 1.2)
    row.bind(texture_size=lambda btn, ts: setattr(btn, "height", max(app.target * 1.2, ts[1] + dp(24))))
    row.code = proc.code
    meta = " · ".join((proc.field or app.t("fields.none"), time_limit(proc.channels)))
    name = proc.name if len(proc.name) <= _ROW_NAME_CHARS else proc.name[:_ROW_NAME_CHARS - 1].rstrip() + "…"
    row.text = f"[b]{escape(name)}[/b]\n[size={int(17 * app.scale)}]{escape(meta)}[/size]"
    row.bind(on_tap=lambda button: app.open_procedure(button.code))
    return row


class ProceduresScreen(Screen):
    title = StringProperty("")
    field_name = StringProperty("")

    def spoken_text(self, app) -> str:
        return ". ".join([self.title] + [p.name for p in app.catalog.in_field(self.field_name)][:8])

    def refresh(self, app) -> None:
        self.title = self.field_name or app.t("fields.none")
        box = self.ids.rows
        box.clear_widgets()
        for proc in app.flow.lookup.in_field(self.field_name):
            box.add_widget(_result_row(app, proc))
        self.ids.scroll.scroll_y = 1


class SearchScreen(Screen):
    query = StringProperty("")
    count_text = StringProperty("")

    def spoken_text(self, app) -> str:
        return ". ".join([app.t("search.title"), self.query or app.t("search.placeholder"), app.t("search.hint")])

    def on_kv_post(self, base_widget):
        self.keyboard = self.ids.keyboard
        self.keyboard.bind(text=lambda _kb, text: self._typed(text))
        self._trigger = Clock.create_trigger(self._search, 0)

    def clear(self) -> None:
        self.keyboard.text = ""
        self.query = ""
        self.ids.rows.clear_widgets()
        self.count_text = ""

    def _typed(self, text: str) -> None:
        self.query = text
        self._trigger()

    def _search(self, _dt=None) -> None:
        app = App.get_running_app()
        box = self.ids.rows
        box.clear_widgets()
        if not self.query.strip():
            self.count_text = ""
            return
        hits = app.flow.lookup.search(self.query)
        self.count_text = app.t("search.results", count=len(hits)) if hits else app.t("list.empty")
        for hit in hits:
            box.add_widget(_result_row(app, hit.procedure))
        self.ids.scroll.scroll_y = 1
