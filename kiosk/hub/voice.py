"""Vietnamese voice calls for the lobby display, made offline on the hub (espeak-ng through
``sync.speech``, the one way every part calls the synthesiser).

"Mời công dân có số 2015 đến quầy số 3" is spoken by espeak-ng's Vietnamese voice
(``espeak-ng -v vi``, a Debian package, no internet) after a two-note chime that is
synthesised here (no downloaded sound files). Chime, a short pause and speech go into one
WAV file per sentence, cached on disk, so the display plays one file per call and calls
never overlap.

Numbers are written out as Vietnamese words here rather than left to the synthesiser, so
the reading is the same on every install and can be chosen in ``hub.read_numbers``:
``whole`` reads 2015 as "hai nghìn không trăm mười lăm", ``digits`` as "hai, không, một, năm".

``hub.second_language: en`` says the call again in English after the Vietnamese sentence
("Ticket number 2015, please go to counter 3"), in the same file, for offices with foreign
visitors.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import threading
import wave
from pathlib import Path

from kiosk.errors import KioskError
from sync import speech
from sync.store import write_atomically

__all__ = ["Announcer", "VoiceUnavailable", "announcement_text", "chime", "english_announcement_text",
           "number_words", "spoken_number"]

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
RATE = 22050  # espeak-ng's output rate: the chime is made at the same rate


class VoiceUnavailable(KioskError):
    """espeak-ng is missing or failed; the display then shows calls without a voice."""


def _below_thousand(n: int, full: bool) -> list[str]:
    """Words for 0..999. ``full``: a higher group precedes, so 'không trăm' / 'linh' are said."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or full:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    words += ["mười"] if tens == 1 else [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("một" if tens == 1 else "mốt")
    elif units == 4 and tens > 1:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def number_words(n: int) -> str:
    """A whole number 0..999,999 in Vietnamese words (northern reading, 'nghìn', 'linh')."""
    if not isinstance(n, int) or not 0 <= n <= 999_999:
        raise ValueError(f"expected a whole number 0..999999, found {n!r}")
    if n == 0:
        return "không"
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        words += _below_thousand(thousands, False) + ["nghìn"]
    if rest:
        words += _below_thousand(rest, bool(thousands))
    return " ".join(words)


def spoken_number(n: int, mode: str = "whole") -> str:
    """How the voice reads ticket number ``n``: ``whole`` or ``digits`` (``hub.read_numbers``)."""
    if mode == "digits":
        return ", ".join(_DIGITS[int(d)] for d in str(n))
    return number_words(n)


def announcement_text(number: int, counter_id: int, mode: str = "whole") -> str:
    """The sentence the lobby hears, e.g. 'Mời công dân có số … đến quầy số ba'."""
    return f"Mời công dân có số {spoken_number(number, mode)}, đến quầy số {number_words(counter_id)}."


def english_announcement_text(number: int, counter_id: int, mode: str = "whole") -> str:
    """The same call in English (``hub.second_language: en``); espeak-ng reads the digits."""
    spoken = ", ".join(str(number)) if mode == "digits" else str(number)
    return f"Ticket number {spoken}, please go to counter {counter_id}."


def chime(rate: int = RATE) -> bytes:
    """A soft two-note 'ding-dong' (E5 then C5) as 16-bit mono PCM frames."""
    frames = bytearray()
    for freq, seconds in ((659.25, 0.45), (523.25, 0.7)):
        count = int(rate * seconds)
        for i in range(count):
            t = i / rate
            envelope = math.exp(-3.5 * t) * min(1.0, i / (0.01 * rate))
            sample = envelope * (0.6 * math.sin(2 * math.pi * freq * t) + 0.15 * math.sin(4 * math.pi * freq * t))
            frames += struct.pack("<h", int(max(-1.0, min(1.0, sample)) * 26000))
    return bytes(frames)


class Announcer:
    """Makes and caches announcement WAV files in ``cache_dir`` (one per sentence).

    A call is played within seconds of being made, so only the ``keep_files`` newest files
    are kept (about 300 KB each): a busy office calls 2,000 numbers a day, and the cache
    must not fill the disk over the months."""

    def __init__(self, cache_dir: Path, mode: str = "whole", speed_wpm: int = 135, keep_files: int = 200,
                 second_language: str = ""):
        self.cache_dir = Path(cache_dir)
        self.mode = mode
        self.second_language = second_language
        self.speed_wpm = speed_wpm
        self.keep_files = keep_files
        self._lock = threading.Lock()

    def path_for(self, number: int, counter_id: int) -> Path:
        """The WAV file for this call, made now if it is not cached yet."""
        sentences = [("vi", announcement_text(number, counter_id, self.mode))]
        if self.second_language == "en":
            sentences.append(("en", english_announcement_text(number, counter_id, self.mode)))
        key = hashlib.sha1(f"{sentences}|{self.speed_wpm}".encode()).hexdigest()[:20]
        path = self.cache_dir / f"{key}.wav"
        if path.exists():
            return path
        with self._lock:
            if not path.exists():
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                write_atomically(path, self._render(sentences))
                self._prune(keep=path)
        return path

    def _prune(self, keep: Path) -> None:
        files = sorted(self.cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[self.keep_files:]:
            if old != keep:
                old.unlink(missing_ok=True)

    def _render(self, sentences: list[tuple[str, str]]) -> bytes:
        """Chime, then each (voice, sentence) in turn with a short pause between, as one WAV."""
        rate, frames = RATE, b""
        for voice, text in sentences:
            rate, speech = self._speak(voice, text)
            frames += b"\x00\x00" * int(rate * (0.25 if not frames else 0.6)) + speech
        out = io.BytesIO()
        with wave.open(out, "wb") as result:
            result.setnchannels(1)
            result.setsampwidth(2)
            result.setframerate(rate)
            result.writeframes(chime(rate) + frames + b"\x00\x00" * int(rate * 0.3))
        return out.getvalue()

    def _speak(self, voice: str, text: str) -> tuple[int, bytes]:
        """(frame rate, 16-bit mono frames) of ``text`` spoken by espeak-ng's ``voice`` ("vi", "en")."""
        try:
            return speech.synthesise(text, voice, self.speed_wpm)
        except speech.SpeechUnavailable as exc:
            raise VoiceUnavailable(str(exc)) from exc
