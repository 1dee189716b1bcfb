"""Ticket printing: the bytes a thermal printer receives, Vietnamese on paper, and failures
that say what is wrong."""

from __future__ import annotations

import dataclasses
import itertools
import socket
import threading
import unicodedata
from datetime import datetime

import pytest
from PIL import Image

from kiosk.printer import PrinterError, TicketPrinter, TicketSlip, encode_cp1258, render_ticket

SLIP = TicketSlip(office="UBND phường Bến Thành — Bộ phận một cửa", number=1015, service="Hộ tịch",
                  issued_at=datetime(2026, 3, 2, 8, 15), people_ahead=3, wait_min=24.4,
                  ticket_id="0b8e5a52-95a4-4d5c-9a0f-2c2f6f0d5e11", priority=True,
                  page_url="http://192.168.1.10:8700/t/mfrggzdfmztwq2lknnwg23tp", code="K7QX9-MZ4P2",
                  code_url="http://192.168.1.10:8700/t")


def _printer(office_config, **overrides) -> TicketPrinter:
    return TicketPrinter(dataclasses.replace(office_config.kiosk.printer, **overrides), office_config.office.name)


def test_raster_ticket_is_one_image_as_wide_as_the_paper(office_config):
    printer = _printer(office_config, width_px=384)
    printer.print_ticket(SLIP)
    job = printer.last_job
    assert job.startswith(b"\x1b@\x1dv0\x000\x00")  # GS v 0, 48 bytes = 384 dots per row
    assert job.endswith(b"\x1dV\x00") and printer.jobs == 1


def test_ticket_picture_has_a_big_number_and_a_readable_qr(tmp_path):
    image = render_ticket(SLIP, 576)
    assert image.width == 576 and 500 < image.height < 1200
    image.save(tmp_path / "ticket.png")
    ink = Image.open(tmp_path / "ticket.png").convert("L")
    # rows of the big number: the widest run of dark rows must be tall (font ≈ 200 px)
    dark_rows = [y for y in range(ink.height) if min(ink.crop((0, y, 576, y + 1)).getdata()) == 0]
    runs, start = [], dark_rows[0]
    for a, b in itertools.pairwise(dark_rows):
        if b != a + 1:
            runs.append(a - start)
            start = b
    assert max(runs) > 120


def test_cp1258_text_mode_encodes_vietnamese_the_printer_way(office_config):
    for word in ["Hộ tịch", "Nghệ", "Ưu tiên", "Đường", "Quỳnh", "phường Bến Thành"]:
        assert unicodedata.normalize("NFC", encode_cp1258(word).decode("cp1258")) == word
    printer = _printer(office_config, mode="cp1258")
    printer.print_ticket(SLIP)
    job = printer.last_job
    assert b"\x1bt\x34" in job  # ESC t 52 = CP1258
    assert encode_cp1258("Hộ tịch") in job and b"1015" in job
    assert b"\x1d(k" not in job  # not the printer's own QR command: many printers lack it
    assert encode_cp1258("Hoặc mở 192.168.1.10:8700/t và nhập mã: K7QX9-MZ4P2") in job


def test_file_printer_receives_the_job(office_config, tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printer = _printer(office_config, backend="file", path=str(device))
    printer.print_ticket(SLIP)
    assert device.read_bytes() == printer.last_job


def test_unplugged_printer_raises_a_clear_error(office_config, tmp_path):
    printer = _printer(office_config, backend="file", path=str(tmp_path / "gone" / "lp0"))
    with pytest.raises(PrinterError, match="device not found — is the printer plugged in"):
        printer.print_ticket(SLIP)


def test_network_printer_gets_the_bytes_and_an_offline_one_fails(office_config):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received = bytearray()

    def accept():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept)
    thread.start()
    printer = _printer(office_config, backend="network", host="127.0.0.1", port=server.getsockname()[1])
    printer.print_ticket(SLIP)
    thread.join(5)
    server.close()
    assert bytes(received) == printer.last_job

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    offline = _printer(office_config, backend="network", host="127.0.0.1", port=port)
    with pytest.raises(PrinterError, match=f"network \\(127.0.0.1:{port}\\)"):
        offline.print_ticket(SLIP)


@pytest.mark.parametrize("backend", [
    {"backend": "usb", "usb_vendor_id": 0x0416, "usb_product_id": 0x5011},  # no such device here
    {"backend": "file", "path": "/proc/version"},  # a file nobody may write to, not even root
    {"backend": "file", "path": "."},  # a folder, not a device
    {"backend": "serial", "serial_device": "/dev/ttyS0"},  # pyserial is not installed
], ids=["usb-no-device", "file-read-only", "file-folder", "serial-no-library"])
def test_any_backend_failure_is_one_printer_error_naming_the_printer(office_config, backend):
    printer = _printer(office_config, **backend)
    with pytest.raises(PrinterError, match=f"^printer {backend['backend']} \\(") as raised:
        printer.print_ticket(SLIP)
    assert raised.value.__cause__ is not None  # the backend's own error is kept for the log
    assert printer.jobs == 0 and printer.last_job  # the job was built, only the sending failed


def raster_pictures(job: bytes) -> Image.Image:
    """Every ``GS v 0`` raster picture in an ESC/POS job, stacked top to bottom as the paper
    would show them: what the printer draws, rebuilt from the bytes it receives."""
    parts, at = [], 0
    while (at := job.find(b"\x1dv0", at)) != -1:
        width_bytes = job[at + 4] | job[at + 5] << 8
        height = job[at + 6] | job[at + 7] << 8
        size = width_bytes * height
        data = job[at + 8:at + 8 + size]
        assert len(data) == size, "a raster picture is cut short"
        # ESC/POS raster: 1 = black dot; Pillow's mode "1" raw: 1 = white, so invert
        parts.append(Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in data)))
        at += 8 + size
    assert parts, "no raster picture in the job"
    paper = Image.new("1", (max(p.width for p in parts), sum(p.height for p in parts)), 1)
    y = 0
    for part in parts:
        paper.paste(part, (0, y))
        y += part.height
    return paper


def decoded_qr(paper: Image.Image) -> list[str]:
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(paper.convert("L"))
            if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.parametrize("mode, width", [("raster", 576), ("raster", 384), ("cp1258", 576), ("cp1258", 384)])
def test_the_qr_code_on_the_printed_ticket_decodes_to_the_ticket_page(office_config, tmp_path, mode, width):
    printer = _printer(office_config, mode=mode, width_px=width)
    printer.print_ticket(SLIP)
    paper = raster_pictures(printer.last_job)
    paper.save(tmp_path / f"paper-{mode}-{width}.png")
    assert decoded_qr(paper) == [SLIP.page_url]


def test_a_ticket_without_a_page_address_prints_no_qr_code(office_config):
    printer = _printer(office_config)
    printer.print_ticket(dataclasses.replace(SLIP, page_url="", code="", code_url=""))
    assert decoded_qr(raster_pictures(printer.last_job)) == []
