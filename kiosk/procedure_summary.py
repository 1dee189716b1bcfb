"""A procedure told for a citizen: how long, how much, where, online or not, what to bring.

The national portal's records are written for officials: the time limit is often "1 Khác"
("1 other") with the real duration in a description, fees read "Lệ phí: 0 VNĐ (Miễn lệ phí.
Phí cấp bản sao… Thông tư số 281/2016/TT-BTC…)", and the list of papers opens with rare cases
("Trường hợp trẻ em bị bỏ rơi…"). ``summarise(proc)`` turns one ``Procedure`` into the few
facts the kiosk shows at the top of its detail screen, in plain words; the full text stays
available behind "Xem đầy đủ".

How the time limit is read from the portal's fields (every procedure of the shipped catalog
is tested):

* a plain duration ("10 ngày làm việc", "12 giờ", "05 ngày") is used as it is, without the
  leading zero;
* "N Khác" (a number with the portal's "other" unit and nothing else) is the portal's way of
  writing N working days: "1 Khác" → "1 ngày làm việc";
* otherwise the first duration written in the channel's time or description ("02 tháng và
  15 ngày làm việc, trong đó…", "Trong thời hạn 01 (một) ngày làm việc…") is used;
* several different durations (one per case or channel) become a range in one unit
  ("2 đến 10 ngày làm việc, tùy trường hợp");
* with no duration in any channel, the first one written in the procedure's steps;
* with no duration anywhere: "Hỏi cán bộ tại quầy" — never a bare "Khác".

Plain Python (no Kivy), so it is tested directly over the whole catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.catalog import Channel, Document, Procedure

__all__ = ["ASK_AT_COUNTER", "Summary", "fee_text", "must_bring", "summarise", "time_limit"]

ASK_AT_COUNTER = "Hỏi cán bộ tại quầy"
_UNITS = ("tháng", "năm", "ngày làm việc", "ngày", "giờ làm việc", "giờ")
_UNIT = "|".join(_UNITS)
_PLAIN_RE = re.compile(rf"0*(\d+)\s+({_UNIT})", re.IGNORECASE)
_OTHER_RE = re.compile(r"0*(\d+)\s+Khác", re.IGNORECASE)
# "02 tháng và 15 ngày làm việc", "01 (một) ngày làm việc", "05 ngày"
_FOUND_RE = re.compile(rf"\b0*(\d+)\s*(?:\([^)0-9]{{1,12}}\)\s*)?({_UNIT})(?:\s+và\s+0*(\d+)\s+({_UNIT}))?",
                       re.IGNORECASE)
_IN_PERSON = "Trực tiếp"
_ONLINE = "Trực tuyến"
_ZERO_FEE_RE = re.compile(r"^\s*(?:Lệ phí|Phí)\s*:?\s*0\s*(?:VNĐ|VND|đồng)?\b", re.IGNORECASE)
_FEE_RE = re.compile(r"^\s*((?:Lệ phí|Phí)\s*:?\s*[\d.,]+\s*(?:VNĐ|VND|đồng|USD)?(?:\s*\(/[^)]{1,20}\))?)",
                     re.IGNORECASE)
# Papers that only some citizens need: they are listed under "Trường hợp đặc biệt".
_SPECIAL_RE = re.compile(r"^(trường hợp|đối với|nếu|khi|ngoài ra|lưu ý|cá nhân có quyền|người tiếp nhận)"
                         r"|\btrong trường hợp\b", re.IGNORECASE)
_BULLET_RE = re.compile(r"^[\s\-–•+*]+")
_SHORT_CHARS = 90


@dataclass(frozen=True)
class Summary:
    """What the citizen sees first about a procedure."""

    title: str
    time_limit: str
    fee: str
    where: str
    online: bool
    must_bring: tuple[str, ...]
    special_cases: tuple[str, ...]


def _duration(number: str, unit: str, number2: str | None = None, unit2: str | None = None) -> tuple[str, str]:
    text = f"{int(number)} {unit.lower()}"
    if number2 and unit2:
        text += f" {int(number2)} {unit2.lower()}"
        return text, ""  # a compound duration is not put in a range
    return text, unit.lower()


def _durations(channel: Channel) -> list[tuple[str, str, int]]:
    """(text, unit, number) of every duration the channel states."""
    plain = _PLAIN_RE.fullmatch(channel.time.strip())
    if plain:
        text, unit = _duration(*plain.groups())
        return [(text, unit, int(plain.group(1)))]
    found = [m for source in (channel.time, channel.description) for m in _FOUND_RE.finditer(source)]
    if found:
        return [(*_duration(*m.groups()), int(m.group(1))) for m in found]
    other = _OTHER_RE.fullmatch(channel.time.strip())
    if other:
        return [(f"{int(other.group(1))} ngày làm việc", "ngày làm việc", int(other.group(1)))]
    return []


def time_limit(channels: tuple[Channel, ...], steps_text: str = "") -> str:
    """The time limit in plain words (see the module docstring for the rules); ``steps_text``
    (the procedure's steps) is read when no channel states a duration."""
    in_person = [c for c in channels if c.kind == _IN_PERSON] or list(channels)
    durations = ([d for c in in_person for d in _durations(c)] or [d for c in channels for d in _durations(c)]
                 or _durations(Channel("", "", "", steps_text))[:1])
    if not durations:
        return ASK_AT_COUNTER
    texts = list(dict.fromkeys(text for text, _, _ in durations))
    if len(texts) == 1:
        return texts[0]
    units = {unit for _, unit, _ in durations}
    if len(units) == 1 and "" not in units:
        unit = units.pop()
        low, high = min(n for *_, n in durations), max(n for *_, n in durations)
        return f"{low} đến {high} {unit}, tùy trường hợp"
    return f"{texts[0]}, tùy trường hợp"


def fee_text(channels: tuple[Channel, ...]) -> str:
    """"Miễn phí" when every channel's fee is zero, else the fees themselves without the law's text."""
    fees = [c.fee for c in channels if c.fee.strip()]
    if not fees or all(_ZERO_FEE_RE.match(f) for f in fees):
        return "Miễn phí" if fees else ASK_AT_COUNTER
    shown = []
    for fee in fees:
        if _ZERO_FEE_RE.match(fee):
            continue
        match = _FEE_RE.match(fee)
        short = _plain_fee(match.group(1)) if match else _short(fee)
        if short not in shown:
            shown.append(short)
    return "; ".join(shown[:2]) + ("; …" if len(shown) > 2 else "")


def _plain_fee(fee: str) -> str:
    """"Phí: 2.000 VND (/trang)" → "2.000 đồng/trang"."""
    fee = re.sub(r"^\s*(?:Lệ phí|Phí)\s*:?\s*", "", fee, flags=re.IGNORECASE)
    fee = re.sub(r"\s*\b(?:VNĐ|VND)\b", " đồng", fee)
    return re.sub(r"\s*\(/([^)]+)\)", r"/\1", fee).strip()


def _short(text: str) -> str:
    """The first phrase of ``text``, cut on a word boundary to fit a checklist line."""
    text = _BULLET_RE.sub("", text).strip().replace("/", ", ")
    for stop in (";", ". ", " (", ": "):
        head = text.split(stop, 1)[0]
        if 12 <= len(head) < len(text):
            text = head
            break
    if len(text) > _SHORT_CHARS:
        text = text[:_SHORT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text.rstrip(".")


def must_bring(documents: tuple[Document, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the papers everyone brings, the special cases), each as short lines."""
    common: list[str] = []
    special: list[str] = []
    for doc in documents:
        name = _BULLET_RE.sub("", doc.name).strip()
        if not name:
            continue
        is_paper = doc.original or doc.copy
        target = special if (not is_paper or _SPECIAL_RE.search(name)) else common
        line = _short(name) if target is common else name
        if line not in target:
            target.append(line)
    return tuple(common), tuple(special)


def summarise(proc: Procedure) -> Summary:
    common, special = must_bring(proc.documents)
    where = (proc.address or proc.agency or ASK_AT_COUNTER).rstrip(". ")
    steps = " ".join(step.text for step in proc.steps)
    return Summary(title=proc.name, time_limit=time_limit(proc.channels, steps), fee=fee_text(proc.channels),
                   where=where, online=any(c.kind == _ONLINE for c in proc.channels),
                   must_bring=common, special_cases=special)
