"""The front door: ``GutBack`` (one method per kind of update) and the tables of commands and
buttons that say which feature function answers each.

May import: everything in ``bot``. Adapters (``handlers/``, ``gutback/``) call this package.
"""
