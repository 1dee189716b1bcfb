"""How `kiosk` sets Kivy up for a public touchscreen, and the search keyboard's editing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiosk.app.keyboard import type_key

ROOT = Path(__file__).resolve().parents[2]


def test_kiosk_runs_fullscreen_without_cursor_with_exactly_one_input_provider(config_file, tmp_path):
    script = (
        "import json, sys\n"
        "from sync.config import load_config\n"
        "from kiosk.app.run import configure_kivy\n"
        "configure_kivy(load_config(sys.argv[1]))\n"
        "from kivy.config import Config\n"
        "print(json.dumps({'input': dict(Config.items('input')),\n"
        "                  'fullscreen': Config.get('graphics', 'fullscreen'),\n"
        "                  'cursor': Config.get('graphics', 'show_cursor'),\n"
        "                  'escape': Config.get('kivy', 'exit_on_escape')}))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_CONSOLELOG="1")
    done = subprocess.run([sys.executable, "-c", script, str(config_file)], check=False, capture_output=True,
                          text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"input": {"mouse": "mouse,disable_multitouch"}, "fullscreen": "auto", "cursor": "0",
                    "escape": "0"}


def test_keyboard_types_letters_tones_and_deletes():
    text = ""
    for key in ["d", "a", "n", "g", "space", "k", "y", "á"]:
        text = type_key(text, key)
    assert text == "dang ký"
    assert type_key("dang ký", "à") == "dang kỳ"  # another tone replaces the first
    assert type_key("nghê", "ạ") == "nghệ"
    assert type_key("xyz ", "space") == "xyz "  # no double spaces
    assert type_key("abc", "back") == "ab" and type_key("abc", "clear") == ""
    assert type_key("", "á") == "" and type_key("bcd", "á") == "bcd"  # no vowel: nothing to put a tone on
