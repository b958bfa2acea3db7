"""Getting messages out: claiming due prompts, the sweep, and the one postman that turns an
``Outbox`` into ``Messenger`` calls, records the outcome and marks a person gone.

May import: ``bot.experiments``, ``bot.privacy`` and below.
"""
