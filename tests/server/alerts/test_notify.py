"""Notifications for real: a local SMTP server (aiosmtpd, STARTTLS) and an HTTP webhook receiver."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from sync.config.schema import Server
from sync.server.alerts import webhook
from sync.server.alerts.notify import deliver_due
from sync.server.models import Notification
from tests.server.alerts.conftest import recent

SECRET = "bi-mat-webhook-rat-dai"


class SmtpSink:
    """aiosmtpd on a free port, offering STARTTLS with a throw-away certificate and a login."""

    def __init__(self, tmp_path, require_starttls=True):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                       check=True, capture_output=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        self.messages: list[email.message.EmailMessage] = []
        self.cafile = str(tmp_path / "cert.pem")
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
                return "250 OK"

        def auth(server, session, envelope, mechanism, data):
            return AuthResult(success=data.login == b"thuocdo" and data.password == b"mat:khau@1")

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=require_starttls, authenticator=auth, auth_require_tls=True)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class Receiver:
    """A plain HTTP server that records what is POSTed, failing the first ``fail`` deliveries."""

    def __init__(self, fail: int = 0):
        self.deliveries: list[tuple[dict, bytes]] = []
        self.fail = fail
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail > 0:
                    receiver.fail -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.deliveries.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    sink = SmtpSink(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", sink.cafile)  # the server's default context trusts the test certificate
    yield sink
    sink.stop()


def _server(smtp_port=None, hook=None) -> Server:
    return Server(public_url="https://motcua.example.gov.vn", mail_from="canhbao@motcua.example.gov.vn",
                  smtp_url=f"smtp://thuocdo:mat%3Akhau%401@localhost:{smtp_port}" if smtp_port else "",
                  webhook_url=hook or "", webhook_secret=SECRET)


def _burst(kit):
    t = recent(5)
    kit.upload([kit.rating(t + timedelta(seconds=i), 1, reasons=["cho-lau"]) for i in range(4)])
    return kit.alerts()[-1].id


def test_an_alert_is_mailed_over_starttls_with_a_vietnamese_subject_and_posted_signed(kit, smtp):
    receiver = Receiver()
    try:
        alert_id = _burst(kit)
        assert deliver_due(kit.app.state.db, _server(smtp.port, receiver.url)) == 2
    finally:
        receiver.stop()
    (msg,) = smtp.messages
    assert msg["To"] == "quanly@phuong.example.vn"
    assert msg["Subject"] == (f"[Thước Đo] Cảnh báo #{alert_id}: Nhiều đánh giá không hài lòng — "
                              "UBND phường Bến Thành — Bộ phận một cửa")
    body = msg.get_content()
    assert f"https://motcua.example.gov.vn/dashboard/cases/{alert_id}" in body and "4 trên 4" in body
    ((headers, payload),) = receiver.deliveries
    assert webhook.verify(SECRET, headers["X-ThuocDo-Timestamp"], payload, headers["X-ThuocDo-Signature"])
    data = json.loads(payload)
    assert data["event"] == "alert.opened" and data["alert"]["id"] == alert_id and data["alert"]["rule"] == "burst"
    assert not webhook.verify("another-secret-123", headers["X-ThuocDo-Timestamp"], payload,
                              headers["X-ThuocDo-Signature"])


def test_a_channel_without_a_setting_is_marked_done_with_the_reason_and_the_other_still_sent(kit):
    receiver = Receiver()
    try:
        alert_id = _burst(kit)
        _burst(kit)  # the same burst goes on: no second alert
        assert deliver_due(kit.app.state.db, _server(hook=receiver.url)) == 2
        assert deliver_due(kit.app.state.db, _server(hook=receiver.url)) == 0  # nothing left to do
    finally:
        receiver.stop()
    assert [json.loads(body)["alert"]["id"] for _, body in receiver.deliveries] == [alert_id]
    with kit.app.state.db.session() as s:
        notes = {n.channel: n for n in s.scalars(select(Notification).where(Notification.alert_id == alert_id))}
    assert notes["email"].sent_at is not None and notes["email"].attempts == 1
    assert notes["email"].last_error == "not sent: server.smtp_url is empty"
    assert notes["webhook"].sent_at is not None and notes["webhook"].last_error is None


def test_the_subject_travels_encoded(kit, smtp):
    _burst(kit)
    deliver_due(kit.app.state.db, _server(smtp.port))
    raw = smtp.messages[0].as_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower() and "Thước".encode() not in raw.split(b"\n\n", 1)[0]


def test_a_failing_webhook_is_retried_with_backoff_until_it_answers(kit):
    receiver = Receiver(fail=2)
    try:
        _burst(kit)
        server = _server(hook=receiver.url)
        db = kit.app.state.db
        deliver_due(db, server)
        with db.engine.connect() as conn:
            hook = conn.execute(select(Notification).where(Notification.channel == "webhook")).one()
        assert hook.sent_at is None and hook.attempts == 1 and "503" in hook.last_error
        assert deliver_due(db, server) == 0  # backing off: not due again yet
        assert receiver.deliveries == []
        later = datetime.now(UTC) + timedelta(seconds=7)
        deliver_due(db, server, now=later)
        deliver_due(db, server, now=later + timedelta(seconds=13))
        assert len(receiver.deliveries) == 1
        with db.engine.connect() as conn:
            hook = conn.execute(select(Notification).where(Notification.channel == "webhook")).one()
        assert hook.sent_at is not None and hook.attempts == 3
        ids = {h["X-ThuocDo-Delivery"] for h, _ in receiver.deliveries}
        assert ids == {str(hook.id)}
    finally:
        receiver.stop()


def test_queued_notifications_survive_a_restart(kit, smtp):
    """The alert's messages are rows committed with it: a new process sends what the old one did not."""
    _burst(kit)
    from sync.server.db import Database

    fresh = Database(kit.app.state.db.url)  # as a restarted server would connect
    try:
        assert deliver_due(fresh, _server(smtp.port)) == 2
    finally:
        fresh.dispose()
    assert len(smtp.messages) == 1


def test_the_daily_digest_goes_to_each_office_manager_with_an_address(kit, smtp):
    from zoneinfo import ZoneInfo

    from sync.server.alerts.sweep import run_sweep

    alert_id = _burst(kit)
    db = kit.app.state.db
    deliver_due(db, _server(smtp.port))
    smtp.messages.clear()
    # 17:30 on a working day, office time
    day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    evening = day.replace(hour=17, minute=30)
    run_sweep(db, evening.astimezone(UTC))
    run_sweep(db, (evening + timedelta(minutes=5)).astimezone(UTC))  # once a day
    deliver_due(db, _server(smtp.port), now=evening.astimezone(UTC) + timedelta(minutes=6))
    (digest,) = smtp.messages
    assert digest["To"] == "quanly@phuong.example.vn" and "Tổng hợp ngày" in digest["Subject"]
    assert f"https://motcua.example.gov.vn/dashboard/cases/{alert_id}" in digest.get_content()


def test_a_server_killed_while_posting_loses_no_notification(kit, python_exe):
    """kill -9 while the webhook POST is in flight: the claimed row's lease runs out and the next
    process sends it (at least once: the receiver may see the same delivery id twice)."""
    import os
    import signal
    import sys

    from sync.server.alerts.notify import LEASE
    from tests.conftest import ROOT

    hanging = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_POST(self):
            hanging.set()
            time.sleep(30)  # never answers before the kill

        def log_message(self, *args):
            pass

    stuck = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=stuck.serve_forever, daemon=True).start()
    _burst(kit)
    child = subprocess.Popen([python_exe or sys.executable, "-m", "tests.server.alerts.notify_child",
                              kit.app.state.db.url, f"http://127.0.0.1:{stuck.server_address[1]}/hook", SECRET],
                             cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ})
    try:
        assert hanging.wait(20), "the child never posted"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        stuck.shutdown()
    receiver = Receiver()
    try:
        server = _server(hook=receiver.url)
        db = kit.app.state.db
        deliver_due(db, server)
        assert receiver.deliveries == []  # still leased to the dead process
        deliver_due(db, server, now=datetime.now(UTC) + LEASE + timedelta(seconds=1))
        ((headers, body),) = receiver.deliveries
        assert json.loads(body)["event"] == "alert.opened"
        assert webhook.verify(SECRET, headers["X-ThuocDo-Timestamp"], body, headers["X-ThuocDo-Signature"])
    finally:
        receiver.stop()
