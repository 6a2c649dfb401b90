"""Matplotlib for the benchmark figures, which .venv-bench has and the app's .venv does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot(path: Path) -> Any | None:
    """``matplotlib.pyplot`` on the Agg backend, or None (saying which figure is skipped) when
    matplotlib is not installed (``scripts/bootstrap.sh --bench`` installs it)."""
    try:
        import matplotlib
    except ImportError:
        print(f"matplotlib is not installed (scripts/bootstrap.sh --bench): no {path.name}")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot
