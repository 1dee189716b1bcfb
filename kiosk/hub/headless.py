"""``kiosk hub``: the office hub run alone, without the kiosk screen (an office whose kiosk
is elsewhere, or a hub on its own mini-PC), until Ctrl-C or SIGTERM."""

from __future__ import annotations

import threading

from kiosk.hub.lan_server import HubStartError
from kiosk.hub.office_hub import OfficeHub
from sync.config import Config

__all__ = ["serve_forever"]


def serve_forever(config: Config) -> int:
    """``kiosk hub``: run the hub alone (no kiosk screen) until Ctrl-C or SIGTERM.

    Ticket records go to the kiosk's outbox at ``<data_dir>/outbox`` and are uploaded from
    there when the central server is configured and this machine is enrolled; if the kiosk
    app already runs on this machine it holds that outbox (and its own hub), so this refuses.
    """
    import signal

    from sync.config_pull import with_stored_overlay
    from sync.outbox import Outbox, OutboxLocked

    config = with_stored_overlay(config, config.data_path)  # the office as the central server last described it

    try:
        outbox = Outbox(config.data_path / "outbox")
    except OutboxLocked as exc:
        print(f"error: {exc} — is the kiosk (with its own hub) already running?")
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    hub = OfficeHub(config, outbox)
    try:
        url = hub.start()
    except HubStartError as exc:
        print(f"error: {exc}")
        outbox.close()
        return 1
    from sync.uploader import start_background_sync

    uploader = start_background_sync(config, outbox, config.data_path)
    print(f"Office hub of {config.office.name} at {url}\n"
          f"  lobby display: {url}/display\n  clerk console: {url}/console\n"
          f"  queue state:   {hub.engine.state_dir}\n"
          f"  uploads:       {'to ' + config.sync.server_url if uploader else 'off (no server configured or not enrolled)'}\n"
          f"Press Ctrl-C to stop.", flush=True)
    try:
        stop.wait()
    finally:
        if uploader is not None:
            uploader.stop()
        hub.close()
        outbox.close()
    return 0
