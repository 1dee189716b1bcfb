"""A fault-injecting HTTP/TCP proxy for the sync tests: the bad network, on demand.

It sits between a device's uploader and the real central server (both on 127.0.0.1) and,
request by request, either forwards faithfully or misbehaves the way real office networks
do. Each request takes the next fault from ``proxy.faults`` (a queue the test fills), or
``proxy.chaos`` picks one at random, or ``proxy.default`` applies:

``pass``              forward the request and the reply unchanged
``drop``              reset the connection as soon as a request starts (nothing reaches the server)
``delay:S``           hold the request S seconds, then forward it (the client may time out first,
                      while the server still commits: a late commit)
``reset_request``     read the whole request, then reset the connection (the server never sees it)
``lose_reply``        forward the request, let the server commit and answer, then reset the
                      connection instead of passing the answer on
``truncate``          forward, then pass on only the first half of the answer and close
``http_500``          answer 500 with a JSON error without forwarding
``http_429:S``        answer 429 with ``Retry-After: S`` without forwarding
``captive``           answer ``200 text/html`` with a Wi-Fi login page without forwarding
``redirect``          answer ``302`` to another host without forwarding

It understands just enough HTTP/1.1 (Content-Length and chunked bodies, keep-alive) to cut
at the right byte. ``proxy.log`` lists the fault applied to each request.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import deque
from typing import Self

CAPTIVE_PAGE = (b"<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body>"
                b"<h1>Dang nhap Wi-Fi</h1><form>Please log in to use the internet.</form></body></html>")

CHAOS_FAULTS = ("drop", "delay:1.5", "reset_request", "lose_reply", "truncate", "http_500",
                "http_429:1", "captive", "redirect")


class _Closed(Exception):
    pass


def _read_until(sock: socket.socket, buffer: bytearray, marker: bytes) -> int:
    while True:
        index = buffer.find(marker)
        if index >= 0:
            return index
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed()
        buffer.extend(chunk)


def _read_exact(sock: socket.socket, buffer: bytearray, size: int) -> bytes:
    while len(buffer) < size:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Closed()
        buffer.extend(chunk)
    data = bytes(buffer[:size])
    del buffer[:size]
    return data


def _read_message(sock: socket.socket, buffer: bytearray) -> tuple[bytes, dict]:
    """One HTTP message (request or response) as raw bytes, plus its lower-cased headers."""
    end = _read_until(sock, buffer, b"\r\n\r\n")
    head = _read_exact(sock, buffer, end + 4)
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            name, value = line.split(b":", 1)
            headers[name.strip().lower().decode()] = value.strip().decode()
    body = b""
    if "content-length" in headers:
        body = _read_exact(sock, buffer, int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            line_end = _read_until(sock, buffer, b"\r\n")
            size_line = _read_exact(sock, buffer, line_end + 2)
            size = int(size_line.split(b";")[0], 16)
            parts.append(size_line)
            parts.append(_read_exact(sock, buffer, size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    return head + body, headers


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashing middlebox would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _response(status: str, headers: dict, body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class FaultProxy:
    """A proxy on 127.0.0.1:<free port> in front of ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int], seed: int = 0):
        self.upstream = upstream
        self.faults: deque[str] = deque()
        self.default = "pass"
        self.chaos = 0.0  # probability that a request without a queued fault gets a random one
        self.log: list[str] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calm(self) -> None:
        """Stop injecting faults: every later request passes through."""
        with self._lock:
            self.faults.clear()
            self.chaos = 0.0
            self.default = "pass"

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in list(self._sockets):
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _next_fault(self) -> str:
        with self._lock:
            if self.faults:
                fault = self.faults.popleft()
            elif self.chaos and self._random.random() < self.chaos:
                fault = self._random.choice(CHAOS_FAULTS)
            else:
                fault = self.default
            self.log.append(fault)
            return fault

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        buffer = bytearray()
        up_buffer = bytearray()
        try:
            while not self._closed:
                if not buffer:  # wait for a request to start before choosing its fault
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    buffer.extend(chunk)
                fault = self._next_fault()
                if fault == "drop":
                    _reset(client)
                    return
                request, _ = _read_message(client, buffer)
                name, _, arg = fault.partition(":")
                if name == "reset_request":
                    _reset(client)
                    return
                if name == "http_500":
                    client.sendall(_response("500 Internal Server Error", {"Content-Type": "application/json"},
                                             b'{"error":{"code":"internal","message":"injected failure"}}'))
                    continue
                if name == "http_429":
                    client.sendall(_response("429 Too Many Requests", {"Content-Type": "application/json",
                                                                       "Retry-After": arg or "1"},
                                             b'{"error":{"code":"rate_limited","message":"slow down"}}'))
                    continue
                if name == "captive":
                    client.sendall(_response("200 OK", {"Content-Type": "text/html; charset=utf-8"}, CAPTIVE_PAGE))
                    continue
                if name == "redirect":
                    client.sendall(_response("302 Found", {"Location": "http://login.wifi.example/portal"}, b""))
                    continue
                if name == "delay":
                    time.sleep(float(arg or 2))
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=60)
                    self._sockets.add(upstream)
                upstream.sendall(request)
                reply, headers = _read_message(upstream, up_buffer)
                if name == "lose_reply":
                    _reset(client)
                    return
                if name == "truncate":
                    client.sendall(reply[: max(1, len(reply) // 2)])
                    client.close()
                    return
                client.sendall(reply)
                if headers.get("connection", "").lower() == "close":
                    client.close()
                    return
        except (_Closed, OSError):
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._sockets.discard(sock)
                    try:
                        sock.close()
                    except OSError:
                        pass
