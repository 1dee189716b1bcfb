"""Reading an office's ``config.yaml``: ``load_config`` is the one loader every command uses.

Why a loader of our own instead of pydantic: the counter tablet must stay pure Python for
Android, and this loader runs there too. Validation is strict and says what to fix: every
problem is reported at once with its key path, what was expected and what was found, e.g.
``counters[2].services[0]: unknown service 'ho_tich' (known: ho-tich, chung-thuc, …)``.

Pure Python: the counter tablet runs this on Android.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import yaml

from sync.config.building import Problem, Problems, build_value
from sync.config.rules import check_rules
from sync.config.schema import Config
from sync.errors import SyncError

__all__ = ["DEFAULT_CONFIG_PATH", "ConfigError", "load_config"]

DEFAULT_CONFIG_PATH = "config.yaml"


class ConfigError(SyncError):
    """The configuration file is unusable; ``problems`` holds one ``Problem`` line each.

    ``str(error)`` is in English; ``message(lang)`` says it in the office's language ('vi',
    'en', or None for both when the language could not be read), with how to go on.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self.message("en"))

    def message(self, lang: str | None) -> str:
        if lang is None:
            return self.message("vi") + "\n\n" + self.message("en")
        lines = "\n".join(f"  - {p.say(lang)}" for p in self.problems)
        if lang == "vi":
            return (f"{self.source}: tệp cấu hình có {len(self.problems)} lỗi:\n{lines}\n"
                    f"Sửa các dòng trên trong tệp rồi chạy lại (kiểm tra bằng lệnh `check-config`).")
        return f"{self.source}: {len(self.problems)} problem(s) in the configuration:\n{lines}"


def load_config(path: str | os.PathLike = DEFAULT_CONFIG_PATH) -> Config:
    """Read, validate and return the configuration; raise ``ConfigError`` listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [Problem(
            "file not found (pass --config PATH, or copy the example config.yaml)",
            "không tìm thấy tệp (chỉ đường dẫn bằng --config ĐƯỜNG_DẪN, hoặc chép tệp config.yaml mẫu)")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [Problem(f"cannot read the file: {exc}", f"không đọc được tệp: {exc}")]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        where_vi = f"dòng {mark.line + 1}, cột {mark.column + 1}: " if mark else ""
        detail = getattr(exc, "problem", exc)
        raise ConfigError(source, [Problem(f"{where}not valid YAML ({detail})",
                                           f"{where_vi}sai cú pháp YAML ({detail}); kiểm tra thụt lề và dấu ':'")]) from None
    problems = Problems()
    cfg = build_value(Config, raw, "", problems)
    if cfg is not None and not problems:
        cfg = dataclasses.replace(cfg, source=str(Path(path).resolve()))
        check_rules(cfg, problems)
    if problems:
        raise ConfigError(source, list(problems))
    return cfg
