"""Where the base-model recipe keeps its data and checkpoints (outside the work tree)."""

from __future__ import annotations

import os
from pathlib import Path


def dev_cache() -> Path:
    return Path(os.environ.get("TESTTAILOR_DEV_CACHE", Path.home() / ".cache" / "testtailor-dev"))


def basemodel_dir() -> Path:
    return dev_cache() / "basemodel"
