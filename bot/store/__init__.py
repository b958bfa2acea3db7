"""The database: the typed ORM models and the engine (sessions, SQL idioms, migrations).

May import: ``bot.base``.
"""
