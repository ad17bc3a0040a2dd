"""Between the shipped ONNX (export_onnx.py's graph) and a transformers state dict: read every
weight back (int8 word rows dequantised, `.weight_t` transposed back), and write changed
prunable matrices into a copy of the graph (so the project's own CLI can prune it)."""
import numpy as np
import onnx
import torch
from onnx import numpy_helper

PRUNABLE = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "intermediate.dense", "output.dense")


def prunable_names(layers):
    """HF parameter names of the 24 (for 4 layers) prunable matrices, in the CLI's order."""
    return [f"bert.encoder.layer.{i}.{p}.weight" for i in range(layers) for p in PRUNABLE]


def load_state(path):
    """-> (ModelProto, state dict of float32 tensors with transformers' names)."""
    model = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state = {}
    for name, a in inits.items():
        if name.startswith("onnx::"):
            continue
        if name == "bert.embeddings.word_embeddings_int8":
            scale = inits["bert.embeddings.word_embeddings_scale"]
            state["bert.embeddings.word_embeddings.weight"] = torch.from_numpy(a.astype(np.float32) * scale)
        elif name == "bert.embeddings.word_embeddings_scale":
            continue
        elif name in ("bert.embeddings.position_embeddings", "bert.embeddings.token_type_embeddings"):
            state[name + ".weight"] = torch.from_numpy(a.astype(np.float32).copy())  # gathered tables, no `.weight`
        elif name.endswith(".weight_t"):
            state[name[: -len("_t")]] = torch.from_numpy(np.ascontiguousarray(a.T.astype(np.float32)))
        else:
            state[name] = torch.from_numpy(a.astype(np.float32).copy())
    return model, state


def write_matrices(model, matrices, path):
    """Saves `model` (a ModelProto, modified in place) with the given {hf weight name: [out, in]} matrices."""
    by_name = {i.name: i for i in model.graph.initializer}
    for name, w in matrices.items():
        init = by_name[name + "_t"]
        init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(w.T.astype(np.float32)), init.name))
    onnx.save(model, path)


def read_matrices(path, names):
    """{hf weight name: [out, in] float32 array} from an ONNX file (e.g. the CLI's pruned output)."""
    model = onnx.load(path)
    inits = {i.name: i for i in model.graph.initializer}
    return {n: np.ascontiguousarray(numpy_helper.to_array(inits[n + "_t"]).T) for n in names}
