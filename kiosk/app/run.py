"""Starting the kiosk for real (``kiosk`` with no subcommand): Kivy set up for a public
touchscreen, the office hub embedded, uploads to the central server in the background (when
``sync.server_url`` is set and the kiosk is enrolled), the app run until an admin exits it.

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

import logging
import os
import sys

from sync.config import Config

__all__ = ["configure_kivy", "run_kiosk"]

log = logging.getLogger(__name__)


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
    from sync.config_pull import with_stored_overlay

    cfg = with_stored_overlay(cfg, cfg.data_path)  # the office as the central server last described it
    configure_kivy(cfg)
    from kiosk.hub import HubStartError, OfficeHub
    from sync.outbox import Outbox

    outbox = Outbox(cfg.data_path / "outbox")
    hub = OfficeHub(cfg, outbox=outbox)
    try:
        hub.start()
    except HubStartError as exc:
        print(f"error: the office hub could not start: {exc}", file=sys.stderr)
        outbox.close()
        return 1
    from sync.uploader import start_background_sync

    # ticket records leave through the central server when configured and enrolled
    uploader = start_background_sync(cfg, outbox, cfg.data_path)
    try:
        from kiosk.app import KioskApp

        KioskApp(cfg, hub, uploader=uploader).run()
    finally:
        if uploader is not None:
            uploader.stop()
        hub.close()
        outbox.close()
    return 0
