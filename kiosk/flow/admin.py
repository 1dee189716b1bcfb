"""The kiosk's admin side, behind a gesture and the admin PIN: what staff read (printer,
catalog, uploads, faults) and what they can do (test print, reload the catalog, enroll the
kiosk with the central server). Every answer is a line of words in the kiosk's language.
"""

from __future__ import annotations

import hmac
import logging

from kiosk.catalog import CatalogError
from kiosk.flow.lookup import Lookup
from kiosk.printer import PrinterError, TicketPrinter
from kiosk.texts import tr
from sync.enrollment import EnrollmentError

__all__ = ["AdminDesk"]

log = logging.getLogger(__name__)


class AdminDesk:
    """Admin actions over the kiosk ``device`` (``kiosk.device.KioskDevice``), its printer and
    the look-up catalog."""

    def __init__(self, device, printer: TicketPrinter, lookup: Lookup):
        self.device = device
        self.config = device.config
        self.printer = printer
        self.lookup = lookup

    def check_pin(self, entered: str) -> bool:
        return hmac.compare_digest(entered.encode(), self.config.kiosk.admin_pin.encode())

    def status_lines(self, lang: str) -> list[str]:
        catalog = self.lookup.catalog
        lines = [tr(lang, "admin.printer", desc=self.printer.describe()),
                 tr(lang, "admin.catalog", count=len(catalog), source=catalog.source or "")]
        uploader = self.device.uploader
        if uploader is not None:
            lines.extend(uploader.status().lines(lang))
        else:
            lines.append(tr(lang, "admin.sync_not_enrolled" if self.config.sync.server_url else "admin.sync_off"))
            pending = len(self.device.outbox)
            lines.append(tr(lang, "admin.sync", pending=pending) if pending else tr(lang, "admin.sync_none"))
        faults = self.device.hub.faults()
        lines.append(tr(lang, "admin.faults", faults="; ".join(f"{f['source']}: {f['message']}" for f in faults))
                     if faults else tr(lang, "admin.no_faults"))
        return lines

    def test_print(self, lang: str) -> str:
        try:
            self.printer.test_page(lang)
        except PrinterError as exc:
            self.device.report_fault("printer", str(exc))
            return tr(lang, "admin.printer_failed", error=str(exc))
        self.device.report_fault("printer", None)
        return tr(lang, "admin.printer_ok")

    def reload_catalog(self, lang: str) -> str:
        try:
            catalog = self.lookup.reload()
        except CatalogError as exc:
            return tr(lang, "admin.catalog_failed", error=str(exc))
        return tr(lang, "admin.catalog", count=len(catalog), source=catalog.source)

    def enroll_started(self, server_url: str, lang: str) -> str:
        return tr(lang, "admin.enrolling", server=server_url.strip())

    def enroll(self, server_url: str, code: str, lang: str) -> str:
        """Blocking (network): enroll, then upload with the new token (the device stops the
        uploader it replaces). Returns the result in words; a refusal is shown as it is."""
        try:
            office_id = self.device.enroll(server_url, code)
        except EnrollmentError as exc:
            log.warning("enrollment failed: %s", exc)
            return tr(lang, "admin.enroll_failed", error=exc.message(lang))
        except Exception as exc:  # noqa: BLE001 — anything else on the way is shown to the admin as it is
            log.warning("enrollment failed: %s", exc)
            return tr(lang, "admin.enroll_failed", error=str(exc))
        return tr(lang, "admin.enrolled", office=office_id)
