"""The tablet's HTTP link to the hub: SSE parsing, following one counter, reporting reachability."""

from __future__ import annotations

import queue
import socket

from tablet_rating.hub_link import HubLink, parse_sse
from tests.tablet.conftest import HubAPI


def test_server_sent_events_are_parsed_line_by_line():
    lines = ["retry: 2000", "event: state", 'data: {"a":', "data: 1}", "", ": ping", "",
             "id: 7", "event: finished", 'data: {"counter_id": 2}', ""]
    assert list(parse_sse(iter(lines))) == [("state", '{"a":\n1}', None), ("finished", '{"counter_id": 2}', "7")]


def test_the_link_follows_only_its_counter_and_sees_the_hub_go(tablet_config, office_hub):
    config = tablet_config()
    hub = office_hub(config)
    events: queue.Queue = queue.Queue()
    link = HubLink(hub.base_url, 2, on_event=lambda name, data: events.put((name, data)),
                   on_online=lambda online: events.put(("online", online)), max_backoff_s=0.5)
    link.start()
    try:
        assert events.get(timeout=10) == ("online", True)
        name, data = events.get(timeout=10)
        assert name == "counter" and data["counter_id"] == 2 and data["clerk"] is None  # from the hub's state
        api = HubAPI(hub.base_url, config)
        api.login(1, "nguyen-van-an")  # another counter: not for this tablet
        api.login(2, "tran-thi-binh")
        ticket = api.serve_one(2, "chung-thuc")
        seen = []
        while not any(n == "finished" for n, _ in seen):
            seen.append(events.get(timeout=10))
        assert all(d["counter_id"] == 2 for _, d in seen)
        finished = next(d for n, d in seen if n == "finished")
        assert finished["ticket"]["id"] == ticket["id"] and finished["clerk"]["id"] == "tran-thi-binh"
        hub.stop()
        while events.get(timeout=10) != ("online", False):
            pass
    finally:
        link.stop()


def test_an_address_where_no_hub_listens_is_reported_offline():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    events: queue.Queue = queue.Queue()
    link = HubLink(f"http://127.0.0.1:{port}", 1, on_event=lambda *a: events.put(a),
                   on_online=lambda online: events.put(("online", online)))
    link.start()
    try:
        assert events.get(timeout=10) == ("online", False)
    finally:
        link.stop()


def test_stopping_the_link_while_it_reads_the_stream_ends_its_thread_quietly(tablet_config, office_hub,
                                                                              monkeypatch):
    import threading

    hub = office_hub(tablet_config())
    crashes = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(args.exc_value))
    for _ in range(5):  # the close lands at a different point of the read each time
        events: queue.Queue = queue.Queue()
        link = HubLink(hub.base_url, 2, on_event=lambda name, data: events.put(name),
                       on_online=lambda online: events.put(online))
        link.start()
        assert events.get(timeout=10) is True
        assert events.get(timeout=10) == "counter"  # the stream is open and being read
        link.stop()
        assert not link._thread.is_alive()
    assert crashes == []
