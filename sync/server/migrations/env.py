"""Alembic environment: runs migrations on the connection handed over by ``db.migrate``.

There is no alembic.ini: ``sync.server.db`` builds the Alembic config in code and passes an
open connection in ``config.attributes['connection']``. To write a new revision after
changing ``models.py``, autogenerate it against a database at the previous head::

    python -c "from alembic import command; from sync.server import db; \
      e = db.make_engine('sqlite:////tmp/scratch.db'); db.migrate(e); c = e.connect(); \
      command.revision(db._alembic_config(c), message='what changed', autogenerate=True)"
"""

from alembic import context

from sync.server.models import Base
from sync.server.partitions import is_partition

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through sync.server.db.migrate (sync-server migrate)")



def include_name(name, type_, _parent_names):
    """Month partitions are made by the server (``partitions``), not declared in the models."""
    return not (type_ == "table" and is_partition(name))


context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
