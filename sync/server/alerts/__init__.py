"""Closing the loop on an unhappy citizen: alert rules, follow-up cases, notifications, letters.

A bad rating, or a burst of them, must reach the office manager within minutes and end as a
resolved case (and, where one is due, an apology letter, "biết xin lỗi"). The package is all
services — no HTTP; the dashboard and API routes call into it:

* ``rules`` — the four rules as pure functions over plain values (burst, severe, trend, silent
  device) and the working-hours due time; unit-tested edge by edge;
* ``settings`` — each office's alert settings: ``alerts:`` of its config.yaml, overridden by
  what a province admin set on the dashboard;
* ``detect`` — runs the rules at ingest, in the batch's transaction (``on_ratings_stored``),
  and for silent devices in the periodic sweep; opens alerts through ``cases``;
* ``cases`` — the case of every alert: open → acknowledged → resolved | dismissed, notes,
  assignment, due time, escalation, audit trail, the citizen's contact (viewed and erased);
* ``notify`` — the durable notification table (email, webhook) and its delivery worker;
  ``mail`` (SMTP by URL) and ``webhook`` (HMAC-SHA256 signed JSON) are the two transports;
* ``digest`` — the daily digest per office manager;
* ``letters`` — the apology letter ("Thư xin lỗi") as PDF and DOCX from an editable template;
* ``sweep`` — the periodic jobs (escalation, silent devices, digests, erasing contacts).
"""
