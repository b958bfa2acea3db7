"""The person and their settings: users, schedule rows, onboarding, ``/settings``, ``/pause``,
``/recapday``.

May import: ``bot.knowledge``, ``bot.chat`` and below.
"""
