"""Alembic environment: the database is the one the settings name (or the embedded one)."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from lorecache.config import get_settings
from lorecache.store.database import resolve_url, sqlalchemy_url
from lorecache.store.schema import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)


def _url() -> str:
    return config.attributes.get("url") or sqlalchemy_url(resolve_url(get_settings()))


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
