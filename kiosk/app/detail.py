"""The procedure detail screen, written for citizens first and lawyers second.

At the top, in plain words and with a pictogram each: how long it takes, what it costs, where
to submit, whether it can be done online (``kiosk.procedure_summary``). Then "Bạn cần mang":
a short checklist of the papers everyone brings; the special cases ("Trường hợp trẻ em bị bỏ
rơi…") are folded under one button; the portal's full text (every channel, step, condition
and legal basis) is behind "Xem đầy đủ". The title bar shows the procedure's name, not its code.
"""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.app.widgets import TapButton
from kiosk.procedure_summary import summarise
from sync import icons

__all__ = ["DetailScreen", "escape"]


def escape(text: str) -> str:
    """``text`` safe inside Kivy markup."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


class DetailScreen(Screen):
    code = StringProperty("")
    title = StringProperty("")
    take_text = StringProperty("")
    qr_texture = ObjectProperty(None, allownone=True)
    link_note = StringProperty("")
    show_special = BooleanProperty(False)
    show_full = BooleanProperty(False)
    _shown_code = ""

    def on_show_special(self, *_args) -> None:
        self._rebuild()

    def on_show_full(self, *_args) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        from kivy.app import App

        app = App.get_running_app()
        if app is not None and self.code:
            self.refresh(app)

    def spoken_text(self, app) -> str:
        proc = app.catalog.get(self.code)
        if proc is None:
            return ""
        s, t = summarise(proc), app.t
        return ". ".join([s.title, f"{t('detail.time')}: {s.time_limit}", f"{t('detail.fee')}: {s.fee}",
                          f"{t('detail.bring')}: " + ", ".join(s.must_bring)])

    def refresh(self, app) -> None:
        proc = app.catalog.get(self.code)
        if proc is None:
            return
        if self._shown_code != self.code:  # another procedure: start folded, at the top
            self._shown_code = self.code
            self.show_special = self.show_full = False
        t, scale = app.t, app.scale
        summary = summarise(proc)
        self.title = proc.name
        service_id = app.catalog.service_for(proc)
        self.take_text = t("detail.take") if service_id else t("detail.take_choose")
        self.qr_texture = _qr_texture(proc.link) if proc.link else None
        self.link_note = t("detail.qr") if proc.link else t("detail.no_link")
        box = self.ids.body
        box.clear_widgets()
        box.add_widget(_para(app, proc.name, size=30, bold=True))
        size = int(30 * scale)
        facts = [("clock", t("detail.time"), summary.time_limit), ("money-bill", t("detail.fee"), summary.fee),
                 ("building", t("detail.where"), summary.where),
                 ("laptop", t("detail.online"), t("detail.online_yes") if summary.online else t("detail.online_no"))]
        box.add_widget(_para(app, "\n".join(f"{icons.markup(icon, size)}  [b]{k}:[/b] {escape(v)}"
                                            for icon, k, v in facts), size=24, markup=True))
        box.add_widget(_para(app, t("detail.bring"), size=26, bold=True, heading=True))
        checklist = [f"{icons.markup('square-check', size)}  {escape(line)}" for line in summary.must_bring]
        box.add_widget(_para(app, "\n".join(checklist) or t("detail.ask"), size=24, markup=True))
        if summary.special_cases:
            box.add_widget(_fold_button(app, t("detail.special_hide" if self.show_special else "detail.special",
                                                n=len(summary.special_cases)), "show_special", self))
            if self.show_special:
                box.add_widget(_para(app, "\n".join(f"• {escape(c)}" for c in summary.special_cases), markup=True))
        box.add_widget(_fold_button(app, t("detail.full_hide" if self.show_full else "detail.full"), "show_full", self))
        if self.show_full:
            _full_text(app, proc, box)
        self.ids.scroll.scroll_y = 1


def _fold_button(app, text: str, prop: str, screen: DetailScreen) -> TapButton:
    button = TapButton(text=text, size_hint_y=None, height=app.target, kind="normal")
    button.bind(on_tap=lambda _b: setattr(screen, prop, not getattr(screen, prop)))
    return button


def _full_text(app, proc, box) -> None:
    """The portal's own words, section by section."""
    t = app.t
    facts = [(t("detail.code"), proc.code), (t("detail.field"), proc.field or t("fields.none")),
             (t("detail.agency"), proc.agency)]
    box.add_widget(_para(app, "\n".join(f"[b]{k}:[/b] {escape(v)}" for k, v in facts if v), markup=True))
    sections = [
        (t("detail.channels"), [f"[b]{escape(c.kind)}:[/b] {escape(c.time)}"
                                + (f" — {escape(c.description)}" if c.description else "")
                                + (f"\n{escape(c.fee)}" if c.fee else "") for c in proc.channels]),
        (t("detail.documents"), [f"• {escape(d.name.lstrip('-•+ '))} ({_kinds(app, d)})" for d in proc.documents]),
        (t("detail.steps"), [(f"[b]{escape(s.case)}[/b]\n" if s.case else "") + escape(s.text) for s in proc.steps]),
        (t("detail.conditions"), [escape(proc.conditions)] if proc.conditions else []),
        (t("detail.results"), [f"• {escape(r)}" for r in proc.results]),
        (t("detail.legal"), [f"• {escape(c.number)} ({escape(c.date)}): {escape(c.summary)}" for c in proc.legal]),
    ]
    for heading, items in sections:
        box.add_widget(_para(app, heading, size=24, bold=True, heading=True))
        box.add_widget(_para(app, "\n".join(items) if items else t("detail.none"), markup=True))


def _kinds(app, doc) -> str:
    kinds = [app.t("detail.original")] if doc.original else []
    if doc.copy:
        kinds.append(app.t("detail.copy"))
    return ", ".join(kinds) or "—"


def _para(app, text: str, size: int = 22, bold: bool = False, markup: bool = False, heading: bool = False) -> Label:
    label = Label(text=text, markup=markup, bold=bold, font_size=size * app.scale,
                  color=app.theme["primary"] if heading else app.theme["fg"],
                  halign="left", valign="top", size_hint_y=None)
    label.bind(width=lambda lbl, w: setattr(lbl, "text_size", (w, None)),
               texture_size=lambda lbl, ts: setattr(lbl, "height", ts[1] + dp(6)))
    return label


def _qr_texture(link: str):
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    texture = CoreImage(buffer, ext="png").texture
    texture.mag_filter = "nearest"
    return texture

