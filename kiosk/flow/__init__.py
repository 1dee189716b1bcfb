"""What the lobby kiosk does, decided in plain Python: the Kivy screens (``kiosk.app``) are a
thin shell over ``KioskFlow``, as the tablet's screens are over its ``RatingSession``.

* ``kiosk_flow``: ``KioskFlow`` — which screen the citizen sees, language and large text,
  taking a ticket (issued, shown, printed on a worker), the idle rules;
* ``lookup``: the procedure catalog and its search;
* ``admin``: the admin PIN, the status staff read, test print, catalog reload, enrollment.

No Kivy here: tests drive the flow with a fake clock and read what the screens would show.
"""

from kiosk.flow.kiosk_flow import SCREENS, KioskFlow, ShownTicket

__all__ = ["SCREENS", "KioskFlow", "ShownTicket"]
