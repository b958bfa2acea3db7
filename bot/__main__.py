"""``python -m bot`` keeps working: the command line now lives in :mod:`gutback.cli`.

The one place the core imports an adapter (an ignore in the import contracts says so).
"""

from __future__ import annotations

from gutback.cli import main

raise SystemExit(main())
