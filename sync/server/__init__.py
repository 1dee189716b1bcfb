"""The province's central server: device enrollment, batch ingest, dashboard, exports, reports.

Runs on FastAPI + SQLAlchemy (SQLite by default, PostgreSQL in production). Devices never
import this package.
"""
