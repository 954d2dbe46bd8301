"""Alembic's environment for the store: always run in process, on a connection Ventanilla hands it
(store/schema.py), never from an alembic.ini; SQLite alters tables in batch mode."""

from __future__ import annotations

from alembic import context
from ventanilla.store.schema import TARGET

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=TARGET,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
