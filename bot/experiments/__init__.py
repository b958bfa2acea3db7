"""The ``/experiment`` conversation (offer, start, progress, stop) and the delivery of its result.

May import: ``bot.insights`` and below. Independent of ``bot.privacy``.
"""
