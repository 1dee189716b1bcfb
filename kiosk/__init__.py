"""The lobby kiosk and the office queue it issues tickets into.

Holds the queue engine, the office hub (LAN HTTP API, clerk console and lobby display
pages), the ticket printer, the procedure catalog and its search, and the Kivy kiosk app.
Only the app's UI modules import Kivy; everything else imports and tests without a window.
"""
