"""Alembic revision scripts, oldest first; each one is applied once per database."""
