"""The foundations every other package stands on: clock, settings, logging, content loading,
wording (``t()``), fuzzy matching, timezones, time arithmetic, the shared vocabulary and the small
number rules.

May import: nothing else from ``bot`` (the standard library, pydantic, yaml only).
"""
