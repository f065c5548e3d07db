"""ONNX Runtime inference for CPU: export a (possibly adapted) seq2seq model once, then beam-search on ORT.

Why: on a CPU the small TestTailor models spend most of each decoding step in Python framework overhead
(``transformers``' cache objects, mask building, module calls), which ONNX Runtime's fused graphs avoid.

- :mod:`customizer.ort.export` traces the model with ``torch.onnx`` (dynamo) into a *prefill* graph (encoder +
  first decoder step, which also returns the cross-attention keys/values) and a *step* graph (one decoder token
  with the self-attention key/value cache), optionally int8-quantizes them, and caches them on disk keyed by the
  model's fingerprint. ``optimum``'s exporter does not support the installed ``transformers`` 5, hence torch.onnx.
- :mod:`customizer.ort.beam` is the beam search of ``transformers`` (same top-k, finishing and early-stopping
  rules, same logits processors) over those graphs, so candidates match the PyTorch path.
- :mod:`customizer.ort.runtime` picks or builds the export for a module and falls back to PyTorch with one
  message when that is not possible.
"""

from __future__ import annotations

from customizer.ort.runtime import RUNTIMES, OnnxRuntimeCache, OnnxSeq2Seq, onnx_available

__all__ = ["RUNTIMES", "OnnxRuntimeCache", "OnnxSeq2Seq", "onnx_available"]
