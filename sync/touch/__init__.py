"""The touch widgets both Kivy apps share: keys, the Vietnamese keyboard and the PIN / digit pad.

The only Kivy code under ``sync/``. It lives here, not in ``kiosk/`` or ``tablet_rating/``,
because both apps need the same widgets and the Android tablet may not import ``kiosk``;
``sync/`` is the package the tablet already ships (buildozer.spec includes
``sync/touch/*.py``). Nothing else in ``sync/`` imports it, so the records, the outbox and
the server still import without Kivy.

* ``TouchKey`` — a big key drawn on the canvas (no image, no kv rule, so two apps in one
  process never restyle each other's keys); ignores a bounce of the same key.
* ``VietKeyboard`` — letters, ă â đ ê ô ơ ư and the five tone keys; the typing rules are
  ``sync.vi_input`` (plain Python).
* ``Speaker`` — reads a screen's text aloud with espeak-ng (``sync.speech``), for the speaker
  button on every kiosk screen and the tablet's prompt.
* ``PinPad`` — digits with the typed value shown as drawn dots (a PIN) or digits (a phone
  number), a message line of fixed height (an error never moves the keys), and ``on_submit``.
* ``startup_problem`` — the full screen an app shows instead of exiting when it cannot start
  (a broken config.yaml, its outbox held by another program), until the cause is fixed; then
  it restarts the program. Imported by the apps' command lines only when needed.

Each app passes its own colours and sizes as properties; the words of the keys are in
``sync.touch.keys.WORDS``.
"""

from sync.touch.keyboard import VietKeyboard
from sync.touch.keys import WORDS, TouchKey
from sync.touch.pinpad import MaskDots, PinPad
from sync.touch.speaker import Speaker

__all__ = ["WORDS", "MaskDots", "PinPad", "Speaker", "TouchKey", "VietKeyboard"]
