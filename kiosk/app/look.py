"""The kiosk's look: the two themes (normal, and large text with high contrast) and the size
factor of large-text mode. Colours are read by every kv rule through ``app.theme``."""

from __future__ import annotations

__all__ = ["LARGE_FACTOR", "THEMES"]

THEMES = {
    # normal: calm light background, one strong blue for the main actions
    False: {"bg": [0.96, 0.97, 0.98, 1], "fg": [0.08, 0.1, 0.14, 1], "muted": [0.3, 0.34, 0.4, 1],
            "card": [1, 1, 1, 1], "card_fg": [0.08, 0.1, 0.14, 1], "line": [0.78, 0.81, 0.86, 1],
            "primary": [0.04, 0.36, 0.68, 1], "primary_fg": [1, 1, 1, 1],
            "accent": [0.8, 0.1, 0.12, 1], "warn": [1, 0.85, 0.2, 1], "warn_fg": [0.1, 0.05, 0, 1],
            "bar": [0.04, 0.36, 0.68, 1], "bar_fg": [1, 1, 1, 1], "key_accent": [0.86, 0.91, 0.98, 1]},
    # high contrast: black background, white text, yellow actions with black text
    True: {"bg": [0, 0, 0, 1], "fg": [1, 1, 1, 1], "muted": [0.92, 0.92, 0.92, 1],
           "card": [0.1, 0.1, 0.1, 1], "card_fg": [1, 1, 1, 1], "line": [1, 0.85, 0, 1],
           "primary": [1, 0.85, 0, 1], "primary_fg": [0, 0, 0, 1],
           "accent": [1, 0.85, 0, 1], "warn": [1, 0.85, 0, 1], "warn_fg": [0, 0, 0, 1],
           "bar": [0.1, 0.1, 0.1, 1], "bar_fg": [1, 1, 1, 1], "key_accent": [0.22, 0.22, 0.22, 1]},
}
LARGE_FACTOR = 1.3
