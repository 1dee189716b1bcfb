"""The HTTP session a device uses for everything it says to the central server.

Uploads (``sync.uploader``), enrollment (``sync.enrollment``) and the config pull
(``sync.config_pull``) all talk to the centre through ``make_session``/``session_for``, so
they share one rule set: proxy and CA environment variables are ignored (``trust_env =
False``), TLS is verified against ``sync.ca_bundle`` or the bundled CA list, a proxy is used
only when ``sync.proxy`` names one, and every request says which Thước Đo version sent it.
``describe_network_error`` turns a failed request into words for the device's status screen.

This module sits below the three that use it and imports none of them.
Pure Python (requests): the counter tablet runs this on Android.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import requests

__all__ = ["DEFAULT_TIMEOUTS", "app_version", "describe_network_error", "make_session", "session_for"]

DEFAULT_TIMEOUTS = (5.0, 30.0)  # (connect, read) seconds


def app_version() -> str:
    """The installed Thước Đo version, reported with every batch for the device-health page."""
    from importlib import metadata

    try:
        return metadata.version("thuocdo")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def make_session(ca_bundle: str | os.PathLike | None = None, proxy: str | None = None) -> requests.Session:
    """The one way a device talks to the centre: environment proxies and CA variables ignored.

    ``trust_env = False`` stops ``HTTP(S)_PROXY``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``
    and ``.netrc`` from changing where the records go or which certificates are trusted; a
    proxy is used only when ``sync.proxy`` names one.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxy, "https": proxy} if proxy else {}
    session.verify = str(ca_bundle) if ca_bundle else True
    session.headers["User-Agent"] = f"thuocdo-device/{app_version()}"
    session.headers["Accept"] = "application/json"
    return session


def session_for(config) -> requests.Session:
    """``make_session`` with the office config's ``sync.ca_bundle`` and ``sync.proxy``."""
    ca_bundle = config.path(config.sync.ca_bundle) if config.sync.ca_bundle else None
    return make_session(ca_bundle, config.sync.proxy or None)


def describe_network_error(exc: Exception, server_url: str, timeouts: tuple[float, float]) -> str:
    """A failed request to ``server_url`` in plain words (what to check, not a traceback)."""
    host = urlsplit(server_url).netloc or server_url
    if isinstance(exc, requests.exceptions.SSLError):
        return (f"the server {host} could not be verified (TLS certificate not trusted: check "
                f"sync.ca_bundle and the device's date)")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"cannot reach the server {host}: no answer within {timeouts[0]:.0f} s (network down?)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"the server {host} did not answer within {timeouts[1]:.0f} s"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"the connection to {host} broke while the answer was arriving"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            return f"cannot reach the server {host}: connection refused (server down or wrong address)"
        if "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
            return f"cannot find the server {host} (no internet or a wrong address)"
        return f"the connection to {host} was lost"
    return f"upload failed: {exc}"
