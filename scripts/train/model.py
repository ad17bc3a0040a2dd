"""TinyBERT-4L-312D configuration (Jiao et al. 2020, General_TinyBERT_4L_312D)."""
from transformers import BertConfig


def tinybert_config(num_labels=2):
    return BertConfig(
        vocab_size=30522, hidden_size=312, num_hidden_layers=4, num_attention_heads=12,
        intermediate_size=1200, hidden_act="gelu", hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
        layer_norm_eps=1e-12, initializer_range=0.02, pad_token_id=0, num_labels=num_labels,
    )
