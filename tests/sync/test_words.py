"""The one word-table API of every part, and Kivy kept inside ``sync.touch``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sync.words import WordTable, pick

ROOT = Path(__file__).resolve().parents[2]


def test_every_part_looks_words_up_the_same_way():
    from kiosk.texts import tr as kiosk_tr
    from sync.server.i18n import tr as server_tr
    from sync.touch.keys import WORDS
    from tablet_rating.texts import tr as tablet_tr

    for table in (kiosk_tr, tablet_tr, server_tr, WORDS):
        assert isinstance(table, WordTable)
    assert kiosk_tr("vi", "home.waiting", count=3) == "Đang chờ: 3 người"
    assert kiosk_tr("en", "home.waiting", count=3) == "Waiting: 3"
    assert tablet_tr("en", "status.pending", n=2) == "Records waiting to upload: 2"
    assert server_tr("vi", "login") == "Đăng nhập"
    assert WORDS("en", "keys.space") == "Space"


def test_a_missing_word_is_an_error_on_devices_and_shows_its_key_on_web_pages():
    from kiosk.texts import tr as kiosk_tr
    from sync.server.i18n import tr as server_tr

    with pytest.raises(KeyError, match="home.tkae"):
        kiosk_tr("vi", "home.tkae")
    assert server_tr("vi", "no_such_word") == "no_such_word"


def test_a_table_refuses_an_entry_without_both_languages():
    with pytest.raises(ValueError, match="half"):
        WordTable({"whole": ("Có", "Yes"), "half": ("Chỉ tiếng Việt", "")})
    assert pick(("Quầy", "Counter"), "en") == "Counter" and pick(("Quầy", "Counter"), "fr") == "Quầy"


def test_only_sync_touch_imports_kivy_under_sync():
    code = ("import sys\n"
            "import sync.words, sync.vi_input, sync.text, sync.records, sync.outbox, sync.uploader, sync.config\n"
            "import sync.server.app\n"
            "print(sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
