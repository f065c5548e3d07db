"""Child process that traces a model to ONNX (see :func:`customizer.ort.export.export_graphs`).

``python -m customizer.ort.trace_worker WORK OUT THREADS``: reads ``WORK/model.pt`` (the pickled model, written by
the parent into its private export folder) and ``WORK/settings.json``, writes the graphs into ``OUT`` and
``WORK/result.json`` ({"layers", "external"} or {"error"}); exit code 0 on success, 3 when the model did not trace.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    work, out, threads = Path(argv[0]), Path(argv[1]), int(argv[2])
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from customizer.errors import OnnxExportError
    from customizer.ort.tracing import trace_graphs

    torch.set_num_threads(max(1, threads))
    result: dict[str, object]
    try:
        model = torch.load(work / "model.pt", weights_only=False)  # our own file, from the parent process
        settings = json.loads((work / "settings.json").read_text(encoding="utf-8"))
        layers, external = trace_graphs(model, out, settings)
        result, code = {"layers": layers, "external": external}, 0
    except OnnxExportError as exc:
        result, code = {"error": exc.message}, 3
    (work / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
