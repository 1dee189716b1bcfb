"""Every HTTP route of the central server, one router module per concern.

* ``devices`` — the device API: enroll, upload batches, office configuration;
* ``auth`` — admin bearer tokens for scripts, and the request dependencies every admin route
  uses (who is signed in, login rate limit, session cookie);
* ``exports`` — the ratings export API (CSV/XLSX streams);
* ``reports`` — the monthly report (HTML page or XLSX);
* ``alerts`` — ``GET /api/v1/alerts`` for scripts;
* ``cases`` — the alert inbox (live count over SSE), case pages and alert settings;
* ``dashboard`` — the dashboard's HTML pages and forms; ``pages`` renders them;
* ``citizen`` — the ticket's page on the citizen's phone (``/t/…``) and its phone rating.

Rule: routers read requests and write responses and nothing else — what to compute, store
or check lives in the services one level up (``sync/server/*.py``), which never import this
package. ``ROUTERS`` is the order ``create_app`` includes them in.
"""

from __future__ import annotations

from sync.server.web import alerts, auth, cases, citizen, dashboard, devices, exports, reports

__all__ = ["ROUTERS"]

ROUTERS = (devices.router, citizen.router, auth.router, exports.router, alerts.router, reports.router, cases.router,
           dashboard.router)
