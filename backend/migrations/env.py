"""Alembic's entry point: migrates through the app's connection, or its own for the CLI."""

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from app.config import get_settings
from app.database.connection import sqlalchemy_url
from app.logs import configure_logging
from app.store.tables import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")

# The app (app/database/migrations.py) hands its connection over, already holding the advisory lock.
shared_connection = config.attributes.get("connection")
if shared_connection is not None:
    run_migrations(shared_connection)
else:
    # Run by Alembic's command line: log its progress the way the app logs.
    settings = get_settings()
    configure_logging(settings)
    if settings.database_url is None:
        raise SystemExit("DATABASE_URL is not set: Alembic needs a database to migrate.")
    engine = sa.create_engine(sqlalchemy_url(settings.database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
            connection.commit()
    finally:
        engine.dispose()
