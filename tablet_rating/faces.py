"""The smiley faces of the rating prompt, drawn with Kivy canvas shapes.

No images and no emoji font are needed (Android tablets and Linux kiosks rarely share one),
and the faces scale to any screen. Each level of the configured scale gets a colour and a
mouth shape from most satisfied (green, wide open grin) to least satisfied (red, frown with
frowning brows); the level's words are always written under the face, because colour alone
fails colour-blind citizens and the shape alone fails tired eyes.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

__all__ = ["Face", "FaceButton", "face_style"]

# Per scale size: (rgb colour, mouth curvature 1 = big smile … -1 = deep frown), best first.
_GREEN, _LIME, _YELLOW, _ORANGE, _RED = ((0.18, 0.62, 0.31), (0.55, 0.76, 0.22), (0.96, 0.74, 0.05),
                                         (0.95, 0.52, 0.16), (0.85, 0.22, 0.22))
_STYLES = {
    3: [(_GREEN, 1.0), (_LIME, 0.55), (_RED, -0.9)],
    4: [(_GREEN, 1.0), (_LIME, 0.55), (_ORANGE, -0.4), (_RED, -0.95)],
    5: [(_GREEN, 1.0), (_LIME, 0.55), (_YELLOW, 0.0), (_ORANGE, -0.5), (_RED, -1.0)],
}


def face_style(index: int, count: int) -> tuple[tuple[float, float, float], float]:
    """Colour and mouth curvature of level ``index`` (0 = most satisfied) of ``count`` levels."""
    if count in _STYLES:
        return _STYLES[count][index]
    # custom scales of other sizes: spread the five styles over the levels
    styles = _STYLES[5]
    return styles[round(index * (len(styles) - 1) / max(count - 1, 1))]


class Face(Widget):
    """A round face: coloured disc, two eyes, a mouth of the given curvature."""

    rgb = ListProperty([0.5, 0.5, 0.5])
    curvature = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # one redraw per frame, however many of these change while the layout settles
        self._redraw = Clock.create_trigger(self._draw, -1)
        self.bind(x=self._redraw, y=self._redraw, width=self._redraw, height=self._redraw,
                  rgb=self._redraw, curvature=self._redraw)

    def _draw(self, *_):
        r = min(self.width, self.height) / 2 * 0.94
        if r <= 0:
            return
        cx, cy = self.center
        ink = (0.16, 0.13, 0.12)
        c = self.curvature
        self.canvas.clear()
        with self.canvas:
            Color(*[v * 0.75 for v in self.rgb])
            Ellipse(pos=(cx - r - r * 0.04, cy - r - r * 0.04), size=(2.08 * r, 2.08 * r))
            Color(*self.rgb)
            Ellipse(pos=(cx - r, cy - r), size=(2 * r, 2 * r))
            Color(*ink)
            eye_w, eye_h = r * 0.16, r * 0.24 if c > -0.7 else r * 0.18
            for side in (-1, 1):
                Ellipse(pos=(cx + side * r * 0.36 - eye_w / 2, cy + r * 0.18), size=(eye_w, eye_h))
            if c <= -0.7:  # frowning brows over the eyes of the least satisfied face
                for side in (-1, 1):
                    Line(points=[cx + side * r * 0.52, cy + r * 0.62, cx + side * r * 0.2, cy + r * 0.5],
                         width=max(1.0, r * 0.05), cap="round")
            mouth_y = cy - r * 0.38
            half = r * 0.46
            if c >= 0.9:
                # the happiest face laughs: an open half-disc mouth
                Ellipse(pos=(cx - half, mouth_y - half * 0.75), size=(2 * half, half * 1.5),
                        angle_start=90, angle_end=270)
                Color(0.93, 0.36, 0.36)
                Ellipse(pos=(cx - half * 0.45, mouth_y - half * 0.72), size=(half * 0.9, half * 0.55),
                        angle_start=90, angle_end=270)
                return
            depth = r * 0.32 * c
            corner_y = mouth_y + depth / 2
            points = []
            for step in range(21):
                t = step / 10 - 1  # -1 … 1 across the mouth
                points += [cx + t * half, corner_y - depth * (1 - t * t)]
            Line(points=points, width=max(1.5, r * 0.07), cap="round", joint="round")


class FaceButton(ButtonBehavior, BoxLayout):
    """One answer on the prompt: a face with the level's words under it; the whole column is the target."""

    score = NumericProperty(0)
    text = StringProperty("")
    rgb = ListProperty([0.5, 0.5, 0.5])
    curvature = NumericProperty(0.0)
