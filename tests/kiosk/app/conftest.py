"""Fixtures for the kiosk: a real office hub (not started on the network: the kiosk issues
tickets into its engine in-process), a real outbox, and the kiosk app factory."""

from __future__ import annotations

import dataclasses

import pytest

from sync.outbox import Outbox


@pytest.fixture
def hub(office_config):
    from kiosk.hub import OfficeHub

    outbox = Outbox(office_config.data_path / "outbox")
    office_hub = OfficeHub(office_config, outbox=outbox)
    yield office_hub
    office_hub.close()
    outbox.close()


@pytest.fixture
def make_kiosk(office_config, hub):
    """``make_kiosk(**kiosk_overrides, printer_overrides={...})`` → a KioskApp (not started)."""

    def make(printer_overrides: dict | None = None, **kiosk_overrides):
        from kiosk.app import KioskApp

        printer = dataclasses.replace(office_config.kiosk.printer, **(printer_overrides or {}))
        kiosk = dataclasses.replace(office_config.kiosk, printer=printer, fullscreen=False, **kiosk_overrides)
        app = KioskApp(dataclasses.replace(office_config, kiosk=kiosk), hub)
        app.debounce_s = 0  # simulated taps come milliseconds apart; one test checks debouncing
        return app

    return make
