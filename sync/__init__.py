"""Everything about records leaving a device and arriving at the centre.

Device side (pure Python, imported by the Android tablet too): the office configuration
(``sync.config``), the record schema (``sync.records``), Vietnamese text helpers
(``sync.text``), the power-cut-safe store (``sync.store``) and the outbox (``sync.outbox``).
Centre side: the central server in ``sync.server``.
"""
