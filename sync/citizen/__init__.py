"""The citizen's own page for one ticket, on their phone (issue 17).

A ticket carries a QR code and a short typed code that lead to ``<base>/t/<token>``: the
ticket's place in the queue, the call to a counter, and afterwards the same rating as the
counter tablet. The office hub serves the page on the office network from its live queue;
the central server serves the same page from the ticket records the hub uploads, for
citizens on mobile data. This package is what both sides share: the token format
(``tokens``), the page's view of a ticket and its words (``view``), the rating a phone may
send (``rating``) and the page itself (``page``). It imports no web framework.
"""
