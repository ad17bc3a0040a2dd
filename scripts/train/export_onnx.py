"""ONNX export of the trained BertForSequenceClassification, shaped like a standard Hugging Face
BERT export (every linear layer a MatMul with a Wᵀ initializer followed by an Add of the bias;
LayerNormalization; erf GELU; no fused attention), with one change for size: the word
embedding table is stored as int8 with one fp32 scale per row and dequantised after the
lookup (Gather(int8) -> Cast -> Mul by Gather(scale)).

Why an explicit module instead of exporting the transformers model directly: the graph no longer
depends on the transformers version's attention/mask code, its initializer names are stable
(HF parameter names, `.weight` -> `.weight_t` for the transposed MatMul weights), and the
pooler and classifier are MatMul+Add too (a direct export makes them Gemm)."""
import math

import numpy as np
import torch
from torch import nn


def quantize_rows_int8(table):
    """Symmetric per-row int8: q = round(w / s), s = max|w_row| / 127."""
    scale = table.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / 127.0
    q = torch.round(table / scale).clamp(-127, 127).to(torch.int8)
    return q, scale.float()


class ExportLinear(nn.Module):
    def __init__(self, linear):
        super().__init__()
        self.weight_t = nn.Parameter(linear.weight.detach().t().contiguous(), requires_grad=False)
        self.bias = nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x):
        return torch.matmul(x, self.weight_t) + self.bias


class ExportLayerNorm(nn.Module):
    def __init__(self, ln):
        super().__init__()
        self.weight = nn.Parameter(ln.weight.detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(ln.bias.detach().clone(), requires_grad=False)
        self.eps = ln.eps
        self.size = (ln.weight.shape[0],)  # a Python constant, not a traced shape

    def forward(self, x):
        return torch.nn.functional.layer_norm(x, self.size, self.weight, self.bias, self.eps)


class ExportLayer(nn.Module):
    """One post-LayerNorm BERT encoder layer."""

    def __init__(self, layer, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        att = layer.attention
        self.query, self.key, self.value = (ExportLinear(att.self.query), ExportLinear(att.self.key),
                                            ExportLinear(att.self.value))
        self.attn_out, self.attn_ln = ExportLinear(att.output.dense), ExportLayerNorm(att.output.LayerNorm)
        self.ffn_in, self.ffn_out = ExportLinear(layer.intermediate.dense), ExportLinear(layer.output.dense)
        self.ffn_ln = ExportLayerNorm(layer.output.LayerNorm)

    def split_heads(self, x):
        b, s, _ = x.shape
        return x.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, h, bias):
        b, s, hidden = h.shape
        q, k, v = self.split_heads(self.query(h)), self.split_heads(self.key(h)), self.split_heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + bias
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, hidden)
        h = self.attn_ln(self.attn_out(ctx) + h)
        return self.ffn_ln(self.ffn_out(torch.nn.functional.gelu(self.ffn_in(h))) + h)


class ExportBert(nn.Module):
    """Same computation as transformers' BertForSequenceClassification in eval mode (absolute
    positions, exact GELU), with the int8 word embeddings."""

    def __init__(self, hf):
        super().__init__()
        cfg = hf.config
        self.heads, self.head_dim = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
        emb = hf.bert.embeddings
        q, s = quantize_rows_int8(emb.word_embeddings.weight.detach().float())
        self.register_buffer("word_embeddings_int8", q)
        self.register_buffer("word_embeddings_scale", s)
        self.position_embeddings = nn.Parameter(emb.position_embeddings.weight.detach().clone(), requires_grad=False)
        self.token_type_embeddings = nn.Parameter(emb.token_type_embeddings.weight.detach().clone(),
                                                  requires_grad=False)
        self.embeddings_ln = ExportLayerNorm(emb.LayerNorm)
        self.layers = nn.ModuleList(ExportLayer(layer, self.heads, self.head_dim) for layer in hf.bert.encoder.layer)
        self.pooler = ExportLinear(hf.bert.pooler.dense)
        self.classifier = ExportLinear(hf.classifier)

    def forward(self, input_ids, attention_mask, token_type_ids):
        seq = input_ids.shape[1]
        words = self.word_embeddings_int8[input_ids].to(torch.float32) * self.word_embeddings_scale[input_ids]
        h = words + self.position_embeddings[:seq] + self.token_type_embeddings[token_type_ids]
        h = self.embeddings_ln(h)
        # 0 where attended, -10000 where padded (classic BERT export; fp32-safe in every backend).
        bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            h = layer(h, bias)
        pooled = torch.tanh(self.pooler(h[:, 0:1, :]))  # keep 3-D so the linear is MatMul+Add, not Gemm
        return self.classifier(pooled)[:, 0, :]


HF_NAMES = {  # export module names -> Hugging Face parameter names (weights transposed: weight_t)
    "query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
    "attn_out": "attention.output.dense", "attn_ln": "attention.output.LayerNorm",
    "ffn_in": "intermediate.dense", "ffn_out": "output.dense", "ffn_ln": "output.LayerNorm",
}


def hf_name(name):
    parts = name.split(".")
    if parts[0] == "layers":
        return f"bert.encoder.layer.{parts[1]}.{HF_NAMES[parts[2]]}.{'.'.join(parts[3:])}"
    if parts[0] == "embeddings_ln":
        return "bert.embeddings.LayerNorm." + parts[1]
    if parts[0] in ("pooler",):
        return "bert.pooler.dense." + parts[1]
    if parts[0] in ("classifier",):
        return "classifier." + parts[1]
    return "bert.embeddings." + name


def export(hf, path, opset=17):
    import onnx

    model = ExportBert(hf.float().cpu().eval()).eval()
    ids = torch.tensor([[101, 2023, 3185, 2003, 2307, 102], [101, 2919, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    torch.onnx.export(
        model, (ids, mask, types), path, dynamo=False, opset_version=opset, do_constant_folding=True,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "token_type_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
    )
    graph = onnx.load(path)
    rename = {init.name: hf_name(init.name) for init in graph.graph.initializer
              if not init.name.startswith("onnx::")}
    for init in graph.graph.initializer:
        init.name = rename.get(init.name, init.name)
    for node in graph.graph.node:
        node.input[:] = [rename.get(x, x) for x in node.input]
    graph.producer_name = "hp-lab scripts/train/export_onnx.py"
    onnx.checker.check_model(graph)
    onnx.save(graph, path)
    return model


def describe_graph(path):
    """Op counts, the ops of layer 0 in order, and the initializers: for the JS loader."""
    import onnx
    from collections import Counter

    g = onnx.load(path).graph
    inits = {i.name: (list(i.dims), onnx.TensorProto.DataType.Name(i.data_type)) for i in g.initializer}
    lines = [f"inputs: "
             f"{[(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in g.input]}",
             f"outputs: {[o.name for o in g.output]}", f"op counts: {dict(Counter(n.op_type for n in g.node))}",
             "nodes (op: inputs that are initializers):"]
    for n in g.node:
        named = [f"{x}{inits[x][0]}" for x in n.input if x in inits]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute
                 if a.name in ("axis", "epsilon", "to", "perm")}
        lines.append(f"  {n.op_type} {n.name} {named if named else ''} {attrs if attrs else ''}".rstrip())
    lines.append("initializers:")
    lines += [f"  {k} {v[0]} {v[1]}" for k, v in inits.items()]
    matmuls = [n for n in g.node if n.op_type == "MatMul" and any(x in inits for x in n.input)]
    return "\n".join(lines), len(matmuls)
