"""Fixtures for the kiosk app: a real kiosk device (outbox, office hub — not serving on the
network: the kiosk issues tickets into its engine in-process) and the kiosk app factory."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture
def device(office_config):
    from kiosk.device import KioskDevice

    kiosk_device = KioskDevice(office_config)
    yield kiosk_device
    kiosk_device.close()


@pytest.fixture
def hub(device):
    return device.hub


@pytest.fixture
def make_kiosk(office_config, device):
    """``make_kiosk(**kiosk_overrides, printer_overrides={...}, ticket_home_s=…)`` → a KioskApp
    (not started).

    The overrides are ``kiosk`` settings, read by the screens only: they are put into the
    device's configuration before the app is built (its hub keeps the queue as it is)."""

    def make(printer_overrides: dict | None = None, ticket_home_s: float = 20.0, **kiosk_overrides):
        from kiosk.app import KioskApp

        printer = dataclasses.replace(office_config.kiosk.printer, **(printer_overrides or {}))
        kiosk = dataclasses.replace(office_config.kiosk, printer=printer, fullscreen=False, **kiosk_overrides)
        device.config = dataclasses.replace(device.config, kiosk=kiosk)
        app = KioskApp(device, ticket_home_s=ticket_home_s)
        app.debounce_s = 0  # simulated taps come milliseconds apart; one test checks debouncing
        return app

    return make
