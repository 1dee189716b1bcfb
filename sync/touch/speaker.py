"""Read a screen aloud: the speaker button's player, shared by the kiosk and the tablet.

``Speaker.say(text, lang)`` makes the WAV with espeak-ng off the UI thread (``sync.speech``,
cached per sentence, so a second press plays at once) and plays it with Kivy's audio; a new
press stops what is still playing. ``Speaker.enabled`` is False where espeak-ng is missing
(an Android tablet): the apps then hide the button. Errors never reach the citizen: the text
stays on the screen, the log says why the voice is missing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kivy.clock import Clock
from kivy.core.audio import SoundLoader

from sync import speech

__all__ = ["Speaker"]

log = logging.getLogger(__name__)


class Speaker:
    """Plays screen texts read by espeak-ng; ``last_path`` is the last WAV played (for tests)."""

    def __init__(self, cache_dir: Path, speed_wpm: int = 130):
        self.cache = speech.SpeechCache(cache_dir, speed_wpm=speed_wpm)
        self.enabled = speech.available()
        self.sound = None
        self.last_path: Path | None = None
        self.thread: threading.Thread | None = None

    def say(self, text: str, lang: str = "vi") -> None:
        if not self.enabled or not text.strip():
            return
        self.stop()
        self.thread = threading.Thread(target=self._make, args=(text, lang), name="speaker", daemon=True)
        self.thread.start()

    def _make(self, text: str, lang: str) -> None:
        try:
            path = self.cache.path_for(text, lang)
        except (speech.SpeechUnavailable, OSError) as exc:
            log.warning("cannot read the screen aloud: %s", exc)
            return
        Clock.schedule_once(lambda _dt: self._play(path), 0)

    def _play(self, path: Path) -> None:
        self.stop()
        sound = SoundLoader.load(str(path))
        if sound is None:
            log.warning("cannot play %s (no audio output?)", path)
            return
        self.sound, self.last_path = sound, path
        sound.play()

    def stop(self) -> None:
        if self.sound is not None:
            self.sound.stop()
            self.sound = None
