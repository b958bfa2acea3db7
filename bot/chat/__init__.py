"""Talking to a person, whatever the platform: the ``Messenger`` protocol and its errors, the
``Outbox`` a feature fills, and the compact, strictly parsed button data.

May import: ``bot.base``, ``bot.store``. Independent of ``bot.knowledge``.
"""
