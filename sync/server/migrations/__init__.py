"""Alembic migrations of the central server's database, run by ``sync.server.db.migrate``."""
