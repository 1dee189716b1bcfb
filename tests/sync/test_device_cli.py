"""The operators' sync commands on the kiosk and the tablet, against the real central server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from kiosk.cli import main as kiosk
from sync.outbox import Outbox
from sync.server.cli import main as sync_server
from tablet_rating.cli import main as tablet
from tests.sync.conftest import ROOT_DIR, append_ratings


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_enroll_then_sync_now_uploads_everything_and_status_says_so(central, config_file, tmp_path, capsys):
    data = tmp_path / "data"
    with Outbox(data / "outbox") as outbox:
        appended = append_ratings(outbox, 450)
    assert kiosk(["--config", str(config_file), "enroll", "--server", central.url, "--code", central.code()]) == 0
    assert "đã đăng ký: thiết bị" in capsys.readouterr().out
    assert kiosk(["--config", str(config_file), "sync-now"]) == 0
    out = capsys.readouterr().out
    assert "450 bản ghi chờ gửi" in out and "đã nhận 450" in out and "không còn gì để gửi" in out
    assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    assert kiosk(["--config", str(config_file), "sync-status"]) == 0
    out = capsys.readouterr().out
    assert "bản ghi chờ gửi: 0" in out and "lần gửi thành công gần nhất: 20" in out and "bị máy chủ từ chối" in out


def test_sync_now_with_the_server_down_exits_non_zero_and_keeps_every_record(central_sqlite, config_file, tmp_path,
                                                                              capsys, monkeypatch):
    data = tmp_path / "data"
    with Outbox(data / "outbox") as outbox:
        append_ratings(outbox, 3)
    assert kiosk(["--config", str(config_file), "enroll", "--server", central_sqlite.url,
                  "--code", central_sqlite.code()]) == 0
    monkeypatch.setenv("THUOCDO_SERVER_URL", _closed_port_url())  # sync.server_url now points nowhere
    assert kiosk(["--config", str(config_file), "sync-now"]) == 1
    captured = capsys.readouterr()
    assert "connection refused" in captured.err and "còn 3 bản ghi chờ gửi" in captured.err
    assert kiosk(["--config", str(config_file), "sync-status"]) == 0
    out = capsys.readouterr().out
    assert "bản ghi chờ gửi: 3" in out and "lỗi gần nhất: cannot reach the server" in out
    assert "lần gửi thành công gần nhất: chưa bao giờ" in out


def test_sync_now_before_enrolling_says_how_to_enroll_in_the_offices_language(config_file, capsys):
    assert kiosk(["--config", str(config_file), "sync-now"]) == 1
    assert "lỗi: thiết bị này chưa được đăng ký: chạy `enroll --server URL --code CODE`" in capsys.readouterr().err
    config_file.write_text(config_file.read_text(encoding="utf-8").replace("language: vi", "language: en", 1),
                           encoding="utf-8")
    assert kiosk(["--config", str(config_file), "sync-now"]) == 1
    assert "error: this device is not enrolled yet: run `enroll" in capsys.readouterr().err


def test_a_refused_code_is_told_in_the_offices_language(central_sqlite, config_file, capsys):
    code = central_sqlite.code()
    assert kiosk(["--config", str(config_file), "enroll", "--server", central_sqlite.url, "--code", code]) == 0
    capsys.readouterr()
    assert kiosk(["--config", str(config_file), "enroll", "--server", central_sqlite.url, "--code", code]) == 1
    err = capsys.readouterr().err
    assert "lỗi: máy chủ từ chối mã:" in err and "hãy xin quản trị viên mã mới" in err
    assert kiosk(["--config", str(config_file), "enroll", "--server", "motcua.example.gov.vn", "--code", code]) == 1
    assert "địa chỉ máy chủ phải bắt đầu bằng https://" in capsys.readouterr().err


def test_a_usb_export_imported_at_the_centre_counts_once_when_the_device_uploads_later(central, config_file,
                                                                                      tmp_path, capsys):
    data = tmp_path / "data"
    with Outbox(data / "tablet-3" / "outbox") as outbox:
        appended = append_ratings(outbox, 40, counter_id=3)
    assert tablet(["--config", str(config_file), "--counter", "3", "enroll", "--server", central.url,
                   "--code", central.code("tablet", "Quầy 3 tablet")]) == 0
    usb = tmp_path / "usb" / "quay3.json"
    usb.parent.mkdir()
    assert tablet(["--config", str(config_file), "export-pending", "--counter", "3", "--out", str(usb)]) == 0
    document = json.loads(usb.read_text())
    assert document["format"] == "thuocdo-pending-v1" and document["office_id"] == "phuong-ben-thanh"
    assert document["device_id"] and [r["id"] for r in document["records"]] == [r["id"] for r in appended]
    capsys.readouterr()
    assert sync_server(["--config", str(config_file), "--database-url", central.db.url, "import-batch",
                        str(usb)]) == 0
    assert "40 accepted" in capsys.readouterr().out
    assert tablet(["--config", str(config_file), "--counter", "3", "sync-now"]) == 0
    assert "máy chủ đã có 40" in capsys.readouterr().out
    assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    with Outbox(data / "tablet-3" / "outbox") as outbox:
        assert len(outbox) == 0


def test_commands_refuse_politely_while_the_app_holds_the_outbox(config_file, tmp_path, capsys):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from sync import records; from sync.outbox import Outbox; box = Outbox(sys.argv[1]); "
        "[box.append_new(lambda seq: records.new_rating(office_id='phuong-ben-thanh', device_id=box.device_id, "
        "seq=seq, counter_id=1, score=3, scale=3, satisfied=True, lang='vi')) for _ in range(2)]; "
        "print('open', flush=True); time.sleep(60)"), str(tmp_path / "data" / "outbox")],
        cwd=ROOT_DIR, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"open"
        assert kiosk(["--config", str(config_file), "export-pending", "--out", str(tmp_path / "x.json")]) == 1
        assert "đang được ứng dụng sử dụng" in capsys.readouterr().err
        assert kiosk(["--config", str(config_file), "sync-status"]) == 0  # status still works, from the files
        assert "bản ghi chờ gửi: 2" in capsys.readouterr().out
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert not (tmp_path / "x.json").exists()


def test_a_tablet_command_for_a_counter_the_office_does_not_have_is_refused(config_file, tmp_path, capsys):
    assert tablet(["--config", str(config_file), "sync-status", "--counter", "42"]) == 2
    assert "--counter 42: không có quầy này" in capsys.readouterr().err
    assert not (tmp_path / "data" / "tablet-42").exists()


def test_sync_now_waits_when_the_real_server_rate_limits_and_still_finishes(office_config, config_file, tmp_path,
                                                                           capsys):
    from sync.server.app import ServerSettings
    from tests.sync.conftest import Central

    central = Central(office_config, f"sqlite:///{tmp_path / 'limited.db'}",
                      settings=ServerSettings(device_requests_per_s=0.25, device_burst=2))
    try:
        with Outbox(tmp_path / "data" / "outbox") as outbox:
            appended = append_ratings(outbox, 450)  # three batches of 200: the third is refused first
        assert kiosk(["--config", str(config_file), "enroll", "--server", central.url, "--code", central.code()]) == 0
        assert kiosk(["--config", str(config_file), "sync-now"]) == 0
        out = capsys.readouterr().out
        assert "đã nhận 450" in out and "yêu cầu gửi chậm lại 1 lần" in out and "không còn gì để gửi" in out
        assert sorted(central.rating_ids()) == sorted(r["id"] for r in appended)
    finally:
        central.close()
