"""The counter tablet: the citizen rates the clerk who just served them.

Follows its counter on the office hub, shows the smiley prompt, and stores each rating in
the device outbox before thanking the citizen. Must stay Android-packable: it imports only
Kivy, requests, tinydb, PyYAML and the pure-Python parts of ``sync`` — never the server.
"""
