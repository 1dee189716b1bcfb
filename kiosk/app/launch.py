"""Starting the kiosk for real (``kiosk`` with no subcommand): Kivy set up for a public
touchscreen, the ``KioskDevice`` started (office hub, outbox, uploads to the central server
in the background when ``sync.server_url`` is set and the kiosk is enrolled), the app run over
it until an admin exits it, then the device closed.

Kivy reads its configuration when its window module is imported, so ``configure_kivy`` runs
first and this module imports Kivy's window (through ``kiosk.app``) only afterwards:

* fullscreen with the mouse cursor hidden (``kiosk.fullscreen``); Escape does not quit;
* exactly one input provider: Kivy's default on Linux adds the kernel's touch devices
  (``probesysfs`` → hidinput/mtdev) *and* the mouse, and SDL2 also turns every touch into a
  mouse click — together that is one finger, two touches. The kiosk keeps only the mouse
  provider (which receives SDL2's single event per touch) with multitouch emulation off;
* at most 30 frames per second: the screens are static between taps.

A crash or power cut is recovered by systemd (see docs/kiosk.md): the queue and the outbox
are durable, so a restarted kiosk carries on with the same numbers.
"""

from __future__ import annotations

import os
import sys

from sync.config import Config

__all__ = ["configure_kivy", "run_kiosk"]


def configure_kivy(cfg: Config) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("graphics", "fullscreen", "auto" if cfg.kiosk.fullscreen else "0")
    KivyConfig.set("graphics", "show_cursor", "0" if cfg.kiosk.fullscreen else "1")
    KivyConfig.set("graphics", "maxfps", "30")
    for option in KivyConfig.options("input"):
        KivyConfig.remove_option("input", option)
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def run_kiosk(cfg: Config) -> int:
    """``kiosk``: the device (outbox, hub on the LAN, uploads) with the touchscreen over it,
    until an admin exits; the device is closed after the app ends, whatever happened."""
    from kiosk.device import KioskDevice
    from kiosk.hub import HubStartError
    from sync.outbox import OutboxLocked

    try:
        device = KioskDevice(cfg)  # the office as the central server last described it
    except OutboxLocked as exc:
        print(f"error: {exc} — is the kiosk or `kiosk hub` already running?", file=sys.stderr)
        return 1
    try:
        configure_kivy(device.config)
        try:
            device.start()
        except HubStartError as exc:
            print(f"error: the office hub could not start: {exc}", file=sys.stderr)
            return 1
        from kiosk.app import KioskApp

        KioskApp(device).run()
    finally:
        device.close()
    return 0
