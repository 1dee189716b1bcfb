"""The ticket printer: turns an issued ticket into ESC/POS bytes and sends them to the printer.

Common 58/80 mm thermal printers have no Vietnamese font, so by default (``mode: raster``) the
whole ticket is drawn as a picture with Pillow in a Vietnamese-capable TrueType font (Kivy's
bundled Roboto, else DejaVu) and sent as a raster image — the approach deployed ticket systems
use, and it works on every ESC/POS printer. ``mode: cp1258`` sends text in the Vietnamese
code page instead (faster, sharper, but only on printers that have CP1258); Vietnamese
letters are encoded the way CP1258 expects: the base letter with its shape mark (ă â ê ô ơ ư)
plus a separate tone mark.

The job is first built in memory on python-escpos's ``Dummy`` printer, so the exact bytes are
known (and kept in ``last_job``), then written to the configured backend in one go: ``dummy``
(nothing is sent; for kiosks without a printer and for tests), ``file`` (a device file such
as /dev/usb/lp0), ``usb``, ``network`` (raw TCP 9100) or ``serial``. The device is opened for
each ticket and closed after, so a printer that was unplugged and plugged back in works again
at the next ticket.

Any failure — unplugged, switched off, no paper reported by the driver, unreachable over the
network, a missing USB library (pyusb, libusb-1.0) or serial library — raises ``PrinterError``
with a message naming the backend and what went wrong: whatever a backend raises is turned
into that one error, so the caller has exactly one thing to catch. The
kiosk catches it *after* the ticket was issued and shown: a printer problem never stops a
citizen from getting a number (see ``kiosk/app``).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from kiosk.errors import KioskError
from sync.config import Printer as PrinterConfig

__all__ = ["PrinterError", "TicketPrinter", "TicketSlip", "encode_cp1258", "font_path", "qr_image", "render_ticket"]

log = logging.getLogger(__name__)

_NETWORK_TIMEOUT_S = 5.0
_ESC_T_CP1258 = b"\x1bt\x34"  # ESC t 52: CP1258 in the Epson table (python-escpos' default profile)
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: part of the letter in CP1258


class PrinterError(KioskError):
    """The ticket could not be printed; the message says which printer and why."""


@dataclass(frozen=True)
class TicketSlip:
    """What goes on the paper, already in the citizen's language."""

    office: str
    number: int
    service: str
    issued_at: datetime
    people_ahead: int
    wait_min: float
    ticket_id: str
    priority: bool = False
    lang: str = "vi"
    page_url: str = ""  # the ticket's page on the citizen's phone (the QR code leads there)
    code: str = ""  # the short code typed instead of scanning, formatted (K7QX9-MZ4P2)
    code_url: str = ""  # where the short code is typed (<base>/t)

    def lines(self) -> dict[str, str]:
        en = self.lang == "en"
        wait = round(self.wait_min)
        return {
            "title": "YOUR NUMBER" if en else "SỐ THỨ TỰ",
            "priority": ("PRIORITY" if en else "ƯU TIÊN") if self.priority else "",
            "ahead": (f"People ahead of you: {self.people_ahead}" if en
                      else f"Số người chờ trước bạn: {self.people_ahead}"),
            "wait": ((f"Estimated wait: about {wait} min" if en else f"Thời gian chờ dự kiến: khoảng {wait} phút")
                     if wait > 0 else ("You are next" if en else "Bạn sẽ được phục vụ ngay")),
            "time": self.issued_at.strftime("%H:%M  %d/%m/%Y"),
            "footer": ("Please wait for your number to be called" if en
                       else "Vui lòng chờ gọi số. Xin cảm ơn!"),
            **self.phone_lines(),
        }

    def phone_lines(self) -> dict[str, str]:
        """The words beside the QR code: scan it, or type the short code at ``code_url``."""
        en = self.lang == "en"
        if not self.page_url:
            return {"scan": "", "code": ""}
        typed = self.code_url.removeprefix("https://").removeprefix("http://")
        return {
            "scan": "Scan to follow your turn on your phone" if en else "Quét mã để theo dõi lượt trên điện thoại",
            "code": ((f"Or open {typed} and type: {self.code}" if en else f"Hoặc mở {typed} và nhập mã: {self.code}")
                     if self.code else ""),
        }


def font_path(bold: bool = False) -> Path:
    """A TrueType font with every Vietnamese letter: Kivy's Roboto, else DejaVu Sans."""
    spec = importlib.util.find_spec("kivy")  # locates the package without importing Kivy
    candidates = []
    if spec and spec.origin:
        fonts = Path(spec.origin).parent / "data" / "fonts"
        candidates.append(fonts / ("Roboto-Bold.ttf" if bold else "Roboto-Regular.ttf"))
        candidates.append(fonts / "DejaVuSans.ttf")
    candidates += [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf" if bold
                        else "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]
    for path in candidates:
        if path.is_file():
            return path
    raise PrinterError("no Vietnamese font found (looked for Kivy's Roboto and DejaVu Sans)")


_font_cache: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}
_font_lock = threading.Lock()


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    with _font_lock:
        key = (bold, size)
        if key not in _font_cache:
            _font_cache[key] = ImageFont.truetype(str(font_path(bold)), size)
        return _font_cache[key]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and draw.textlength(trial, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return lines + ([current] if current else [])


def render_ticket(slip: TicketSlip, width_px: int = 576) -> Image.Image:
    """Draw the ticket as a black-and-white picture ``width_px`` dots wide."""
    scale = width_px / 576
    margin = int(16 * scale)
    inner = width_px - 2 * margin
    text = slip.lines()
    canvas = Image.new("L", (width_px, int(1400 * scale)), 255)
    draw = ImageDraw.Draw(canvas)
    y = margin

    def centred(line: str, font, gap: int = 6) -> None:
        nonlocal y
        for part in _wrap(draw, line, font, inner):
            box = draw.textbbox((0, 0), part, font=font)
            draw.text(((width_px - (box[2] - box[0])) / 2 - box[0], y - box[1]), part, font=font, fill=0)
            y += box[3] - box[1] + int(gap * scale)

    centred(unicodedata.normalize("NFC", slip.office), _font(int(26 * scale), True))
    y += int(10 * scale)
    draw.line((margin, y, width_px - margin, y), fill=0, width=2)
    y += int(18 * scale)
    centred(text["title"], _font(int(30 * scale), True))
    number_font = _font(int(200 * scale), True)
    while draw.textlength(str(slip.number), font=number_font) > inner:  # long numbers still fit
        number_font = _font(int(number_font.size * 0.9), True)
    y += int(8 * scale)
    centred(str(slip.number), number_font, gap=24)
    if text["priority"]:
        centred(text["priority"], _font(int(34 * scale), True))
    centred(slip.service, _font(int(38 * scale), True), gap=14)
    body = _font(int(28 * scale))
    centred(text["ahead"], body)
    centred(text["wait"], body)
    centred(text["time"], body, gap=16)
    if slip.page_url:
        centred(text["scan"], _font(int(24 * scale)))
        qr_img = qr_image(slip.page_url, width_px)
        canvas.paste(qr_img, ((width_px - qr_img.width) // 2, y))
        y += qr_img.height + int(6 * scale)
        if text["code"]:
            centred(text["code"], _font(int(24 * scale), True), gap=12)
    centred(text["footer"], _font(int(24 * scale)))
    y += margin
    return canvas.crop((0, 0, width_px, y)).point(lambda v: 0 if v < 160 else 255, mode="1")


def qr_image(url: str, width_px: int) -> Image.Image:
    """The QR code of the ticket's page address: about 45 % of the paper wide (≈ 35 mm on 80 mm
    paper, ≈ 24 mm on 58 mm), at least 4 dots per module, with the quiet zone scanners need."""
    import io

    qr = segno.make(url, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=max(4, int(width_px * 0.45) // modules), border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese text for a printer in code page 1258 (base letter + tone mark)."""
    out = bytearray()
    decomposed = unicodedata.normalize("NFD", text)
    i = 0
    while i < len(decomposed):
        base, i = decomposed[i], i + 1
        marks = []
        while i < len(decomposed) and unicodedata.combining(decomposed[i]):
            marks.append(decomposed[i])
            i += 1
        for mark in [m for m in marks if m in _SHAPE_MARKS]:
            composed = unicodedata.normalize("NFC", base + mark)
            if len(composed) == 1:
                base = composed
                marks.remove(mark)
        for mark in list(marks):  # "à" exists as one character in CP1258 too: prefer it
            composed = unicodedata.normalize("NFC", base + mark)
            if len(composed) == 1 and _in_cp1258(composed):
                base = composed
                marks.remove(mark)
        for char in [base, *marks]:
            try:
                out += char.encode("cp1258")
            except UnicodeEncodeError:
                out += b"?"
    return bytes(out)


def _in_cp1258(char: str) -> bool:
    try:
        char.encode("cp1258")
        return True
    except UnicodeEncodeError:
        return False


class TicketPrinter:
    """Prints tickets on the printer described by ``kiosk.printer`` in config.yaml."""

    def __init__(self, config: PrinterConfig, office_name: str):
        self.config = config
        self.office_name = office_name
        self.last_job: bytes = b""  # the bytes of the last ticket or test page
        self.jobs = 0
        self._lock = threading.Lock()

    def describe(self) -> str:
        c = self.config
        where = {"dummy": "no printer", "file": c.path, "usb": f"USB {c.usb_vendor_id:04x}:{c.usb_product_id:04x}",
                 "network": f"{c.host}:{c.port}", "serial": f"{c.serial_device} @ {c.baudrate}"}[c.backend]
        return f"{c.backend} ({where}), {c.mode}"

    # -- building the job ------------------------------------------------------------------
    def build_job(self, slip: TicketSlip) -> bytes:
        from escpos.printer import Dummy

        job = Dummy()
        # The generic profile does not know the paper width; tell it (avoids a warning).
        job.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = self.config.width_px
        job.hw("INIT")
        if self.config.mode == "raster":
            job.image(render_ticket(slip, self.config.width_px), impl="bitImageRaster", center=False)
        else:
            self._text_ticket(job, slip)
        job.cut()
        return job.output

    def _text_ticket(self, job, slip: TicketSlip) -> None:
        text = slip.lines()

        def line(value: str, **style) -> None:
            job.set(align="center", **style)
            job._raw(_ESC_T_CP1258 + encode_cp1258(value) + b"\n")

        line(slip.office, bold=True)
        line("-" * 32)
        line(text["title"], bold=True)
        line(str(slip.number), bold=True, custom_size=True, width=8, height=8)
        if text["priority"]:
            line(text["priority"], bold=True, double_height=True, double_width=True)
        line(slip.service, bold=True, double_height=True)
        line(text["ahead"], normal_textsize=True)
        line(text["wait"], normal_textsize=True)
        line(text["time"], normal_textsize=True)
        self._text_qr(job, slip, text)
        line(text["footer"], normal_textsize=True)

    def _text_qr(self, job, slip: TicketSlip, text: dict[str, str]) -> None:
        """Code-page mode: the QR code goes as a small raster picture (the printer's own QR
        command is missing on many cheap printers; a picture prints everywhere), the words
        around it in CP1258."""
        if not slip.page_url:
            return
        job.set(align="center", normal_textsize=True)
        job._raw(_ESC_T_CP1258 + encode_cp1258(text["scan"]) + b"\n")
        job.image(qr_image(slip.page_url, self.config.width_px), impl="bitImageRaster", center=True)
        if text["code"]:
            job.set(align="center", bold=True, normal_textsize=True)
            job._raw(_ESC_T_CP1258 + encode_cp1258(text["code"]) + b"\n")

    # -- sending ---------------------------------------------------------------------------
    def _device(self):
        from escpos.printer import File, Network, Serial, Usb

        c = self.config
        if c.backend == "file":
            return File(devfile=c.path)
        if c.backend == "network":
            return Network(host=c.host, port=c.port, timeout=_NETWORK_TIMEOUT_S)
        if c.backend == "serial":
            return Serial(devfile=c.serial_device, baudrate=c.baudrate)
        if c.backend == "usb":
            return Usb(c.usb_vendor_id, c.usb_product_id, timeout=int(_NETWORK_TIMEOUT_S * 1000))
        raise PrinterError(f"unknown printer backend {c.backend!r}")

    def send(self, job: bytes) -> None:
        """Write ``job`` to the printer; raise ``PrinterError`` when it does not get there."""
        with self._lock:
            self.last_job = job
            if self.config.backend == "dummy":
                self.jobs += 1
                return
            device = None
            try:
                device = self._device()
                device.open()
                device._raw(job)
                self.jobs += 1
            except PrinterError:
                raise
            except Exception as exc:
                raise PrinterError(f"printer {self.describe()}: {_reason(exc)}") from exc
            finally:
                if device is not None:
                    try:
                        device.close()
                    except Exception:  # closing a device that failed to open
                        log.debug("closing the printer failed", exc_info=True)

    def print_ticket(self, slip: TicketSlip) -> None:
        try:
            job = self.build_job(slip)
        except Exception as exc:
            raise PrinterError(f"could not prepare the ticket for printing: {exc}") from exc
        self.send(job)

    def test_page(self, lang: str = "vi") -> None:
        """Print a sample ticket (admin screen: "In thử")."""
        self.print_ticket(TicketSlip(
            office=self.office_name, number=1234, service="In thử — Printer test", issued_at=datetime.now(),
            people_ahead=0, wait_min=0, ticket_id="test-page", lang=lang,
            page_url="https://example.gov.vn/t/test-page", code="TEST0-PAGE0", code_url="https://example.gov.vn/t"))


def warm_up() -> None:
    """Import python-escpos and load the fonts ahead of the first ticket. escpos reads its
    printer capability table at import (about half a second), so the kiosk does this on a
    background thread after the home screen is up instead of at start."""
    from escpos import printer  # noqa: F401

    _font(30, True)
    _font(30)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) or "No such file" in text:
        return f"device not found — is the printer plugged in and switched on? ({text})"
    if type(exc).__name__ == "NoBackendError":  # pyusb without the system library
        return f"no USB library — install libusb-1.0-0 on this machine ({text})"
    if type(exc).__name__ == "USBNotFoundError":
        return f"USB printer not found — is it plugged in and switched on? ({text})"
    return text
