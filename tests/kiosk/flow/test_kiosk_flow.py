"""The kiosk's behaviour without a screen (``kiosk.flow``): taking a ticket, printing it or
not, the idle rules, looking procedures up and the admin side — on a real kiosk device
(queue engine, hub, outbox), a real printer backend and a clock the tests move by hand."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.flow import KioskFlow
from kiosk.printer import TicketPrinter
from tests.kiosk.test_printer import decoded_qr, raster_pictures


class Monotonic:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Monotonic()


@pytest.fixture
def device(office_config):
    from kiosk.device import KioskDevice

    kiosk_device = KioskDevice(office_config)
    yield kiosk_device
    kiosk_device.close()


@pytest.fixture
def flow(device, clock):
    return KioskFlow(device, clock=clock)


def take(flow: KioskFlow, service_id: str):
    shown = flow.take_ticket(service_id)
    flow.print_thread.join(10)
    return shown


def test_a_ticket_is_shown_at_once_printed_after_and_the_screen_goes_home_by_itself(flow, device, clock):
    changes = []
    flow.listener = lambda f: changes.append((f.screen, f.ticket.printing if f.ticket else None))
    flow.go("take")
    flow.toggle_priority()
    shown = take(flow, "chung-thuc")
    assert flow.screen == "ticket" and ("ticket", True) in changes  # on screen before the printer ran
    assert shown.ticket.number == 2001 and shown.ticket.priority and shown.service_name == "Chứng thực"
    assert not shown.printing and shown.print_error is None and changes[-1] == ("ticket", False)
    assert flow.printer.jobs == 1 and flow.printer.last_job.endswith(b"\x1dV\x00")
    assert shown.page_url == device.hub.citizen.page_url(shown.ticket.id) and shown.code
    assert decoded_qr(raster_pictures(flow.printer.last_job)) == [shown.page_url]  # the phone page, printed
    assert not flow.priority  # the next citizen starts without priority
    (waiting,) = device.engine.waiting()
    assert waiting.id == shown.ticket.id and waiting.priority
    assert len(device.outbox) == 1  # the ticket's record, kept for the central server

    assert flow.next_deadline() == clock.now + flow.ticket_home_s
    clock.now += flow.ticket_home_s - 1
    flow.tick()
    assert flow.screen == "ticket"
    clock.now += 1
    flow.tick()
    assert flow.screen == "home"


def test_a_printer_fault_keeps_the_ticket_tells_staff_and_leaves_time_to_note_the_number(device, clock, tmp_path):
    missing = tmp_path / "no-printer" / "lp0"
    printer_config = dataclasses.replace(device.config.kiosk.printer, backend="file", path=str(missing))
    flow = KioskFlow(device, clock=clock, printer=TicketPrinter(printer_config, device.config.office.name))
    shown = take(flow, "ho-tich")
    assert str(missing) in shown.print_error and flow.screen == "ticket"
    (fault,) = [f for f in device.hub.faults() if f["source"] == "printer"]
    assert str(missing) in fault["message"]
    assert [t.number for t in device.engine.waiting()] == [1001]
    assert flow.next_deadline() == clock.now + 2 * flow.ticket_home_s


def test_a_refused_ticket_sends_the_citizen_back_to_the_services_and_tells_staff(flow, device):
    flow.go("take")
    assert flow.take_ticket("khong-co") is None
    assert flow.screen == "take" and flow.take_failed and flow.ticket is None
    (fault,) = device.hub.faults()
    assert fault["source"] == "kiosk" and "khong-co" in fault["message"]
    flow.go("home")
    assert not flow.take_failed


def test_idle_brings_the_office_language_and_normal_text_back_but_spares_the_admin(flow, office_config, clock):
    idle = office_config.kiosk.idle_timeout_s
    assert flow.next_deadline() is None  # home as the office set it: nothing to undo
    flow.toggle_lang()
    flow.toggle_large()
    assert flow.lang == "en" and flow.large
    assert flow.next_deadline() == clock.now + idle  # also on the home screen
    flow.go("fields")
    clock.now += idle - 1
    flow.touched()
    clock.now += idle - 1
    flow.tick()
    assert flow.screen == "fields"  # the touch started the idle time again
    clock.now += 1
    flow.tick()
    assert (flow.screen, flow.lang, flow.large) == ("home", "vi", False)

    flow.open_admin()
    assert flow.check_pin(office_config.kiosk.admin_pin)
    assert flow.screen == "admin" and flow.next_deadline() is None
    clock.now += 10 * idle
    flow.tick()
    assert flow.screen == "admin"


def test_look_up_by_field_and_by_search_then_take_the_procedures_ticket(flow, device):
    fields = dict(flow.lookup.fields())
    assert fields["Chứng thực"] > 0
    flow.open_field("Chứng thực")
    assert flow.screen == "procedures" and flow.field_name == "Chứng thực"
    assert all(p.field == "Chứng thực" for p in flow.lookup.in_field(flow.field_name))
    assert flow.lookup.search("   ") == []
    hits = flow.lookup.search("dang ky ket hon")  # typed without accents
    assert hits[0].procedure.code == "1.000894"
    flow.open_procedure(hits[0].procedure.code)
    assert flow.screen == "detail"
    flow.take_for_procedure()
    flow.print_thread.join(10)
    assert flow.screen == "ticket" and flow.ticket.ticket.service_id == "ho-tich"
    flow.open_procedure("1.010803")  # no field: the catalog names no service for it
    flow.take_for_procedure()
    assert flow.screen == "take"
    assert [t.service_id for t in device.engine.waiting()] == ["ho-tich"]


def test_admin_needs_the_pin_then_shows_status_test_prints_and_reloads(flow, device, office_config):
    take(flow, "ho-tich")
    flow.open_admin()
    assert flow.screen == "pin"
    wrong = "1357" if office_config.kiosk.admin_pin != "1357" else "2580"
    assert not flow.check_pin(wrong) and flow.screen == "pin"
    assert flow.check_pin(office_config.kiosk.admin_pin) and flow.screen == "admin"
    status = "\n".join(flow.admin_status)
    assert "Danh mục: 151 thủ tục" in status
    assert "Chờ gửi về máy chủ: 1 bản ghi" in status  # the ticket's record, kept until uploaded
    assert "Chưa cấu hình máy chủ trung tâm" in status and "Không có sự cố" in status
    flow.admin_test_print()
    assert "đã gửi lệnh in" in flow.admin_result and flow.printer.jobs == 2
    flow.admin_reload_catalog()
    assert flow.admin_result.startswith("Danh mục: 151 thủ tục") and len(flow.lookup.catalog) == 151
    flow.toggle_lang()
    flow.admin_test_print()
    assert flow.admin_result == "Test: sent to the printer"
