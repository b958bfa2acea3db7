"""The gutback programs: the ``gutback`` command line and the terminal chat adapter.

They stand beside ``handlers/`` (the Telegram adapter) and may import ``bot``, ``handlers``,
``telegram``; the core never imports them.
"""
