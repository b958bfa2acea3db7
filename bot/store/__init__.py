"""The database: the typed ORM models, the StrEnums of their stored states, and the engine
(sessions, SQL idioms, migrations, the start-up schema check).

May import: ``bot.base``.
"""
