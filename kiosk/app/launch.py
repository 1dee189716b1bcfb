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

When the kiosk cannot start because its outbox is held by another program (the kiosk or
``kiosk hub`` already running) or the hub's port is taken, it says so on its screen, in the
office's language, and retries every few seconds; once the cause is gone it restarts itself
(``sync.touch.startup_problem``). A crash or power cut is recovered by systemd (see
docs/kiosk.md): the queue and the outbox are durable, so a restarted kiosk carries on with
the same numbers.
"""

from __future__ import annotations

import os

from kiosk.texts import tr
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


def _say(key: str, exc: Exception, cfg: Config) -> str:
    """What stops the kiosk from starting, for IT staff, in the office's language."""
    return tr(cfg.office.language, f"startup.{key}", detail=exc)


def run_kiosk(cfg: Config) -> int:
    """``kiosk``: the device (outbox, hub on the LAN, uploads) with the touchscreen over it,
    until an admin exits; the device is closed after the app ends, whatever happened."""
    from kiosk.device import KioskDevice
    from kiosk.hub import HubStartError
    from sync.outbox import OutboxLocked

    try:
        device = KioskDevice(cfg)  # the office as the central server last described it
    except OutboxLocked as exc:
        return _show_start_problem(cfg, _say("outbox", exc, cfg))
    try:
        configure_kivy(device.config)
        try:
            device.start()
        except HubStartError as exc:
            problem = _say("hub", exc, device.config)
        else:
            from kiosk.app import KioskApp

            KioskApp(device).run()
            return 0
    finally:
        device.close()
    return _show_start_problem(device.config, problem)


def _start_problem(cfg: Config) -> str | None:
    """Try the start-up again (outbox, hub port) and undo it: None when the kiosk can start now."""
    from kiosk.device import KioskDevice
    from kiosk.hub import HubStartError
    from sync.outbox import OutboxLocked

    try:
        device = KioskDevice(cfg)
    except OutboxLocked as exc:
        return _say("outbox", exc, cfg)
    try:
        device.hub.start()
    except HubStartError as exc:
        return _say("hub", exc, cfg)
    finally:
        device.close()
    return None


def _show_start_problem(cfg: Config, problem: str) -> int:
    """The problem on the kiosk's screen until ``_start_problem`` finds it gone, then a restart."""
    configure_kivy(cfg)
    from sync.touch.startup_problem import show_problem

    return show_problem(problem, lambda: _start_problem(cfg), lang=cfg.office.language,
                        fullscreen=cfg.kiosk.fullscreen)
