"""int8 graphs for the ``onnx-int8`` runtime: weight-only 8-bit ``MatMulNBits``, the output layer included.

Every matrix multiplication by a constant weight becomes ONNX Runtime's ``MatMulNBits`` with 8-bit weights,
symmetric, one scale per 32 input rows of each output column (``BLOCK_SIZE``), and ``accuracy_level`` 4: the
activations are quantized to int8 per block inside the kernel, and the products summed in integers. Measured on
this CPU with the shipped 42M model (``bench/bench_onnx.py``, docs/benchmarks.md) against the graphs ONNX Runtime's
``quantize_dynamic`` makes (int8 weights, activations quantized per tensor with ``DynamicQuantizeLinear`` and
``MatMulInteger``): faster than the float32 graphs where those were slower, and closer to their top beams.

The output layer is the largest matrix of a decoding step (vocabulary × model width), and a step, a few rows (the
beams) times every weight matrix, is bound by reading the weights. The exporter writes it as ``MatMul(x,
Transpose(W))`` (BART ties it to the token embedding), which no quantizer reads as a constant weight, so
:func:`fold_constant_transposes` first stores the transposed matrix as a constant of its own; the embedding lookup
keeps the float32 matrix.

``INT8_SCHEME`` goes into an int8 export's meta: an int8 export made another way (by an earlier version) is made
again from its float32 export (:func:`customizer.ort.export.cached_export`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

BITS = 8
BLOCK_SIZE = 32
ACCURACY_LEVEL = 4  # int8 activations per block, integer products (MatMulNBits' attribute)
INT8_SCHEME = f"matmulnbits-{BITS}bit-block{BLOCK_SIZE}-level{ACCURACY_LEVEL}"
SCHEME_KEY = "int8_scheme"  # export.json of an int8 export


def fold_constant_transposes(proto: Any) -> int:
    """Rewrite each ``MatMul(x, Transpose(W))`` of ``proto`` (an ``onnx.ModelProto``, in place) whose ``W`` is a
    2-D constant as ``MatMul(x, W.T)`` with ``W.T`` a constant of its own; drop transposes and constants nothing
    reads any more. Returns how many matrix multiplications were rewritten."""
    from onnx import numpy_helper

    graph = proto.graph
    constants = {init.name: init for init in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    folded = 0
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) != 2:
            continue
        transpose = producers.get(node.input[1])
        if transpose is None or transpose.op_type != "Transpose" or transpose.input[0] not in constants:
            continue
        perm = next((list(a.ints) for a in transpose.attribute if a.name == "perm"), [1, 0])
        weight = constants[transpose.input[0]]
        if len(weight.dims) != 2 or perm != [1, 0]:
            continue
        name = f"{weight.name}.transposed"
        if name not in constants:
            constants[name] = numpy_helper.from_array(numpy_helper.to_array(weight).T.copy(), name)
            graph.initializer.append(constants[name])
        node.input[1] = name
        folded += 1
    read = {name for node in graph.node for name in node.input} | {output.name for output in graph.output}
    nodes = [n for n in graph.node if n.op_type != "Transpose" or any(out in read for out in n.output)]
    del graph.node[:]
    graph.node.extend(nodes)
    read = {name for node in graph.node for name in node.input} | {output.name for output in graph.output}
    kept = [init for init in graph.initializer if init.name in read]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return folded


def quantize_graph(source: Path, target: Path, external: bool, keep: Collection[str] = ()) -> None:
    """The graph in ``source`` with its constant-weight matrix multiplications as 8-bit ``MatMulNBits``, written
    to ``target`` (its weights in a file beside it when ``external``). The products by the constants named in
    ``keep`` stay float32 and the constants keep their names (a fed export's, :mod:`customizer.ort.fed`, which
    become graph inputs when the graphs are opened)."""
    import onnx
    import onnxruntime

    from customizer.errors import OnnxExportError

    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig,
            MatMulNBitsQuantizer,
        )
    except ImportError as exc:
        raise OnnxExportError(f"int8 graphs need onnxruntime 1.22 or later (8-bit MatMulNBits); this is "
                              f"{onnxruntime.__version__}: upgrade it, or use the float32 runtime (onnx)") from exc
    proto = onnx.load(str(source))
    fold_constant_transposes(proto)
    config = DefaultWeightOnlyQuantConfig(block_size=BLOCK_SIZE, is_symmetric=True, accuracy_level=ACCURACY_LEVEL,
                                          bits=BITS)
    kept = set(keep)
    excluded = [node.name for node in proto.graph.node if node.op_type == "MatMul" and kept & set(node.input)]
    quantizer = MatMulNBitsQuantizer(proto, algo_config=config, nodes_to_exclude=excluded)
    logger = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = logger.level
    logger.setLevel(logging.WARNING)  # it logs every node it quantizes or skips at INFO
    try:
        quantizer.process()
    finally:
        logger.setLevel(level)
    lost = kept - {init.name for init in quantizer.model.model.graph.initializer}
    if lost:
        raise OnnxExportError(f"quantizing {source.name} replaced {len(lost)} weights it was to keep, e.g. "
                              f"{sorted(lost)[0]}")
    quantizer.model.save_model_to_file(str(target), use_external_data_format=external)


def check_runs(folder: Path, meta: dict[str, Any]) -> None:
    """Run the int8 graphs in ``folder`` (``meta``: their export.json) once on the export's probe input (prefill,
    then one step from its keys/values; other inputs, such as prefixes, zero) and raise
    :class:`~customizer.errors.OnnxExportError` unless both run and give finite logits: an ONNX Runtime or CPU
    without the 8-bit kernels fails here, when the export is made, not in the middle of a user's generation."""
    import numpy as np

    from customizer.errors import OnnxExportError
    from customizer.ort.reweight import open_graphs, quiet_options
    from customizer.ort.tracing import cache_names, probe_inputs

    ids, mask, decoder_ids = probe_inputs(int(meta["vocab_size"]), int(meta["generation"]["decoder_start_token_id"]))
    past, _, cross = cache_names(int(meta["layers"]))
    try:
        prefill, step = open_graphs(folder, meta, quiet_options)
        known = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "decoder_input_ids": decoder_ids.numpy(),
                 "encoder_attention_mask": mask.numpy()}
        first = prefill.run(None, _with_zeros(prefill, known))
        known.update(zip(past + cross, first[1:], strict=True))
        logits = step.run(None, _with_zeros(step, known))[0]
    except Exception as exc:  # onnxruntime raises its own exception types for kernels it lacks
        raise OnnxExportError(f"the int8 graphs do not run here ({type(exc).__name__}: {str(exc)[:160]})") from exc
    if not (np.isfinite(first[0]).all() and np.isfinite(logits).all()):
        raise OnnxExportError("the int8 graphs give non-finite logits")


def _with_zeros(session: Any, known: dict[str, Any]) -> dict[str, Any]:
    """``known`` values of ``session``'s inputs, zeros (symbolic dimensions 1) for the others."""
    import numpy as np

    types = {"tensor(float)": np.float32, "tensor(int64)": np.int64}
    feeds = {}
    for spec in session.get_inputs():
        if spec.name in known:
            feeds[spec.name] = known[spec.name]
        else:
            shape = [dim if isinstance(dim, int) else 1 for dim in spec.shape]
            feeds[spec.name] = np.zeros(shape, dtype=types.get(spec.type, np.float32))
    return feeds
