"""A person's own data: ``/export``, ``/delete``, and the retention clean-up.

May import: ``bot.insights`` and below. Independent of ``bot.experiments``.
"""
