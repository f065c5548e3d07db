"""Which miner mined a set of pairs: a fingerprint of the miner's and the Java analysis' source files.

Mined pairs kept beside their inputs (the corpus builder's done markers, the retrieval index stored with an
adapter) carry it, so a TestTailor whose miner maps tests differently mines again instead of reusing them.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


@functools.cache
def miner_fingerprint() -> str:
    """sha1 (12 hex) of ``customizer/java`` and ``customizer/mining`` sources, computed once per process."""
    import customizer.java
    import customizer.mining

    digest = hashlib.sha1()
    for module in (customizer.java, customizer.mining):
        for folder in module.__path__:
            for path in sorted(Path(folder).glob("*.py")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
