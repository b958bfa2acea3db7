"""The start-up schema check: a start that does not migrate knows when the schema is not current."""

from __future__ import annotations

import asyncio

from alembic import command

from bot.store.db import alembic_config, migrate, migration_chain, schema_problem
from tests.support import empty_database


def test_the_chain_is_read_from_the_migration_files_oldest_first() -> None:
    chain = migration_chain()
    assert chain[0] == "0001" and len(chain) == len(set(chain)) >= 3
    assert chain == sorted(chain)


async def test_a_current_schema_made_by_the_models_passes(database_url: str) -> None:
    assert await schema_problem(database_url) is None


async def test_an_empty_database_is_missing_its_schema(database_url: str) -> None:
    await empty_database(database_url)
    assert await schema_problem(database_url) == "missing"


async def test_a_migrated_schema_passes_and_an_older_one_does_not(database_url: str) -> None:
    await empty_database(database_url)
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), migration_chain()[0])
    assert await schema_problem(database_url) == "older than this release"
    await migrate(database_url)
    assert await schema_problem(database_url) is None
