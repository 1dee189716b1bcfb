"""Text read aloud, made offline by espeak-ng: the one way every part calls the synthesiser.

Citizens who read little press the speaker button on a kiosk or tablet screen and hear the
screen's main text; the lobby display's calls are spoken the same way (``kiosk/hub/voice.py``
adds the chime). espeak-ng (a Debian package; ``-v vi`` is its Vietnamese voice) needs no
internet and no account. ``synthesise`` returns 16-bit mono WAV bytes; ``SpeechCache`` keeps
one WAV file per sentence (a screen's text is read again and again) and only the newest files.

Where espeak-ng is missing (an Android tablet), ``available()`` is False and the apps hide
their speaker button rather than show one that does nothing.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import threading
import wave
from pathlib import Path

from sync.store import write_atomically
from sync.text import tidy

__all__ = ["SpeechCache", "SpeechUnavailable", "available", "synthesise", "wav_bytes"]

_VOICES = {"vi": "vi", "en": "en"}


class SpeechUnavailable(RuntimeError):
    """espeak-ng is missing or failed; the text stays on screen, only the voice is missing."""


def available() -> bool:
    return shutil.which("espeak-ng") is not None


def synthesise(text: str, lang: str = "vi", speed_wpm: int = 135) -> tuple[int, bytes]:
    """``(sample rate, 16-bit mono PCM frames)`` of ``text`` read in ``lang``."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    try:
        done = subprocess.run([exe, "-v", _VOICES.get(lang, "vi"), "-s", str(speed_wpm), "--stdout", tidy(text)],
                              capture_output=True, timeout=30, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        raise SpeechUnavailable(f"espeak-ng failed: {exc}") from exc
    try:
        with wave.open(io.BytesIO(done.stdout)) as speech:
            if speech.getnchannels() != 1 or speech.getsampwidth() != 2:
                raise SpeechUnavailable("espeak-ng produced an unexpected WAV format")
            return speech.getframerate(), speech.readframes(speech.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SpeechUnavailable(f"espeak-ng produced no readable WAV: {exc}") from exc


def wav_bytes(rate: int, frames: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as result:
        result.setnchannels(1)
        result.setsampwidth(2)
        result.setframerate(rate)
        result.writeframes(frames)
    return out.getvalue()


class SpeechCache:
    """One WAV file per (text, language) in ``directory``, at most ``keep_files`` of them."""

    def __init__(self, directory: Path, speed_wpm: int = 135, keep_files: int = 100):
        self.directory = Path(directory)
        self.speed_wpm = speed_wpm
        self.keep_files = keep_files
        self._lock = threading.Lock()

    def path_for(self, text: str, lang: str = "vi") -> Path:
        key = hashlib.sha1(f"{lang}|{self.speed_wpm}|{tidy(text)}".encode()).hexdigest()[:20]
        path = self.directory / f"{key}.wav"
        with self._lock:
            if not path.exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                write_atomically(path, wav_bytes(*synthesise(text, lang, self.speed_wpm)))
                files = sorted(self.directory.glob("*.wav"), key=lambda p: p.stat().st_mtime, reverse=True)
                for old in files[self.keep_files:]:
                    old.unlink(missing_ok=True)
        return path
