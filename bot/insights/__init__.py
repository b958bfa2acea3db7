"""What the diary shows: links between items and pain, the experiment verdict's statistics,
``/recap``, the weekly recap, ``/report`` (PDF) and the warning signs they list.

May import: ``bot.diary`` and below.
"""
