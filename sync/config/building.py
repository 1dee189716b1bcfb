"""From YAML to typed settings: every value checked against the schema, every problem collected.

``build_value(type, value, path, problems)`` turns the parsed YAML into the dataclasses of
``sync.config.schema``, expanding ``${NAME}`` / ``${NAME:-default}`` from the environment,
normalising text to NFC, and adding to ``problems`` one entry per mistake with its key path,
what was expected and what was found; unknown keys get the closest known key as a likely
typo. ``sync.config_pull`` uses the same builder for the parts the central server sends.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from typing import Any, Literal

from sync.config.schema import Label, NumberBlock
from sync.text import nfc

__all__ = ["Problem", "Problems", "build_value"]

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Problem(str):
    """One ``key: what is wrong and how to fix it`` line, in English; ``vi`` says it in Vietnamese."""

    vi: str

    def __new__(cls, english: str, vietnamese: str):
        line = super().__new__(cls, english)
        line.vi = vietnamese
        return line

    def say(self, lang: str) -> str:
        return self.vi if lang == "vi" else str(self)


class Problems(list):
    """Every problem found, one ``Problem`` each (equal to its English line)."""

    def add(self, path: str, message: str, vi: str) -> None:
        self.append(Problem(f"{path or '(top level)'}: {message}", f"{path or '(cấp trên cùng)'}: {vi}"))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (empty value)"
    return f"{type(value).__name__} {value!r}"


_TYPE_VI = {"str": "văn bản", "int": "số nguyên", "float": "số", "bool": "giá trị đúng/sai"}


def _describe_vi(value: Any) -> str:
    if isinstance(value, dict):
        return "một bảng khoá"
    if isinstance(value, list):
        return "một danh sách"
    if value is None:
        return "giá trị trống"
    return f"{_TYPE_VI.get(type(value).__name__, type(value).__name__)} {value!r}"


def _expand_env(value: str, path: str, problems: Problems) -> str:
    def repl(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        problems.add(path, f"environment variable {name} is not set (set it, or write ${{{name}:-default}})",
                     f"biến môi trường {name} chưa được đặt (hãy đặt nó, hoặc viết ${{{name}:-mặc_định}})")
        return ""

    return _ENV_RE.sub(repl, value)


def build_value(tp: Any, value: Any, path: str, problems: Problems) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return build_value(inner, value, path, problems)
    if isinstance(value, str):
        value = _expand_env(value, path, problems)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            problems.add(path, f"expected one of {choices}, found {_describe(value)}",
                         f"cần một trong các giá trị {choices}, nhưng gặp {_describe_vi(value)}")
        return value
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            problems.add(path, f"expected a list, found {_describe(value)}",
                         f"cần một danh sách (các dòng bắt đầu bằng '- '), nhưng gặp {_describe_vi(value)}")
            return []
        return [build_value(args[0], item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
    if tp is Label:
        return _build_label(value, path, problems)
    if tp is NumberBlock:
        return _build_block(value, path, problems)
    if dataclasses.is_dataclass(tp):
        return _build_dataclass(tp, value, path, problems)
    if tp is bool:
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, found {_describe(value)}",
                         f"cần true hoặc false, nhưng gặp {_describe_vi(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, f"expected a whole number, found {_describe(value)}",
                         f"cần một số nguyên, nhưng gặp {_describe_vi(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(path, f"expected a number, found {_describe(value)}",
                         f"cần một số, nhưng gặp {_describe_vi(value)}")
            return value
        return float(value)
    if tp is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # e.g. a PIN written without quotes
        if not isinstance(value, str):
            problems.add(path, f"expected text, found {_describe(value)}",
                         f"cần văn bản, nhưng gặp {_describe_vi(value)}")
            return value
        return nfc(value)
    raise TypeError(f"config schema has an unsupported type {tp!r} at {path}")


def _build_label(value: Any, path: str, problems: Problems) -> Label | None:
    if isinstance(value, str):
        text = nfc(value)
        return Label(text, text)
    if isinstance(value, dict):
        unknown = set(value) - {"vi", "en"}
        for key in sorted(unknown, key=str):
            problems.add(f"{path}.{key}", "unknown key (a label has only 'vi' and 'en')",
                         "khoá không hợp lệ (một nhãn chỉ có 'vi' và 'en')")
        vi, en = value.get("vi"), value.get("en")
        if not isinstance(vi, str) or not vi.strip():
            problems.add(f"{path}.vi", f"expected the Vietnamese text, found {_describe(vi)}",
                         f"cần chữ tiếng Việt, nhưng gặp {_describe_vi(vi)}")
            return None
        if en is not None and not isinstance(en, str):
            problems.add(f"{path}.en", f"expected the English text, found {_describe(en)}",
                         f"cần chữ tiếng Anh, nhưng gặp {_describe_vi(en)}")
            return None
        return Label(nfc(vi), nfc(en or vi))
    problems.add(path, f"expected text or {{vi: …, en: …}}, found {_describe(value)}",
                 f"cần văn bản hoặc {{vi: …, en: …}}, nhưng gặp {_describe_vi(value)}")
    return None


def _build_block(value: Any, path: str, problems: Problems) -> NumberBlock | None:
    first = last = None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[-–]\s*\d+\s*", value):
        first, last = (int(x) for x in re.split(r"[-–]", value))
    elif isinstance(value, dict) and set(value) == {"first", "last"}:
        first, last = value["first"], value["last"]
    if not (isinstance(first, int) and isinstance(last, int)):
        problems.add(path, f"expected a number block like '1001-1999', found {_describe(value)}",
                     f"cần một dải số như '1001-1999', nhưng gặp {_describe_vi(value)}")
        return None
    if not 0 <= first < last <= 99999:
        problems.add(path, f"expected first < last within 0..99999, found {first}-{last}",
                     f"số đầu phải nhỏ hơn số cuối, trong khoảng 0..99999, nhưng gặp {first}-{last}")
        return None
    return NumberBlock(first, last)


def _build_dataclass(tp: type, value: Any, path: str, problems: Problems) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping of keys, found {_describe(value)}",
                     f"cần một bảng các khoá (dạng 'khoá: giá trị'), nhưng gặp {_describe_vi(value)}")
        return None
    fields = {f.name: f for f in dataclasses.fields(tp) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(tp)
    for key in value:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else f" (known: {', '.join(fields)})"
            hint_vi = f" — có phải ý bạn là '{close[0]}'?" if close else f" (các khoá hợp lệ: {', '.join(fields)})"
            problems.add(_join(path, key), f"unknown key{hint}", f"khoá không hợp lệ{hint_vi}")
    built = {}
    for name, f in fields.items():
        sub = _join(path, name)
        if name in value:
            built[name] = build_value(hints[name], value[name], sub, problems)
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        else:
            problems.add(sub, f"missing ({f.metadata['help']})", f"thiếu khoá này, hãy thêm nó ({f.metadata['help']})")
    try:
        return tp(**built)
    except TypeError:
        return None  # a required key was missing; already reported


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
