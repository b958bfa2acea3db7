"""``python -m gutback``: the same as the ``gutback`` command."""

from __future__ import annotations

from gutback.cli import main

raise SystemExit(main())
