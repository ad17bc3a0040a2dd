"""The pretrained teacher: all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, FFN 1536, the
bert-base-uncased vocabulary), as packed by pack_teacher.py, inside a
BertForSequenceClassification (its own pretrained pooler on [CLS], a fresh classifier), so it
exports to the same ONNX graph shape as the student and loads in the app.

Fine-tuning keeps the word embeddings frozen: the pack carries only the rows our text uses (as
int8), so a frozen table is what lets the app's teacher keep the full vocabulary."""
import json
import os

import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification

WORD_EMB = "bert.embeddings.word_embeddings.weight"


def teacher_config(packed_config, num_labels=2, eager_attention=False):
    keys = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
            "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
            "type_vocab_size", "layer_norm_eps", "initializer_range", "pad_token_id")
    cfg = BertConfig(**{k: packed_config[k] for k in keys}, num_labels=num_labels)
    if eager_attention:  # attention probabilities are returned only by the eager implementation
        cfg._attn_implementation = "eager"
    return cfg


def load_packed_teacher(folder):
    """-> (state dict with 'bert.' names, fp32, word rows not in the pack zero, and "_config"; config)."""
    config = json.load(open(os.path.join(folder, "teacher-config.json")))
    z = np.load(os.path.join(folder, "teacher.npz"))
    table = np.zeros((config["vocab_size"], config["hidden_size"]), dtype=np.float32)
    table[z["word_rows"]] = z["word_q"].astype(np.float32) * z["word_scale"][:, None]
    state = {WORD_EMB: torch.from_numpy(table)}
    for name in z.files:
        if name not in ("word_rows", "word_q", "word_scale"):
            state["bert." + name] = torch.from_numpy(z[name].astype(np.float32))
    state["_config"] = config
    return state, config


def teacher_classifier(state, seed, eager_attention=False):
    """state: the packed teacher (no classifier: a fresh one, seeded) or a fine-tuned classifier,
    with the packed config under "_config" (worker processes have no other way to know it)."""
    torch.manual_seed(seed)
    config = state["_config"]
    model = BertForSequenceClassification(teacher_config(config, eager_attention=eager_attention))
    weights = {k: v for k, v in state.items() if k != "_config"}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if unexpected or any(not k.startswith("classifier.") for k in missing):
        raise RuntimeError(f"teacher state mismatch: missing {missing}, unexpected {unexpected}")
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model
