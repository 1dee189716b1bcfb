"""Fixtures shared by the central server's tests: ``server_app``, ``client``, ``device``
(defined in ``serverkit.py`` with the record builders)."""

from tests.server.serverkit import client, device, server_app

__all__ = ["client", "device", "server_app"]
