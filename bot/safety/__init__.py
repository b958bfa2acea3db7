"""Warning signs: the red-flag rules (content), the matcher, the screen that decides, and the
events (recording, follow-ups, the pain alert, the weekly screen).

May import: ``bot.people`` and below.
"""
