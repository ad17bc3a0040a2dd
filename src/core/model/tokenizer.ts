// BERT tokenization over @huggingface/tokenizers (a Hugging Face tokenizer.json): batches of
// texts -> int64 input_ids / attention_mask / token_type_ids, truncated and padded the way the
// Python `tokenizer(texts, truncation=True, max_length=L, padding=...)` does for single sentences.
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from './model-error';

/** BERT's WordPiece turns a word longer than 100 characters into [UNK]; +1 for a separator. */
export const MAX_CHARS_PER_TOKEN = 101;

export interface EncodedBatch {
  batch: number;
  seqLen: number;
  /** batch x seqLen, row-major. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

export interface EncodeOptions {
  /** Truncate longer sentences to this many tokens, [CLS] and [SEP] included. Default 128. */
  maxLength?: number;
  /** 'longest': pad to the longest sentence of the batch (fast); 'max': always to maxLength. */
  padding?: 'longest' | 'max';
}

export class BertTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly vocabSize: number;

  private constructor(private readonly tok: Tokenizer) {
    const id = (t: string) => {
      const v = tok.token_to_id(t);
      if (v === undefined)
        throw new ModelLoadError(
          'bad-tokenizer',
          `The tokenizer has no ${t} token; a BERT (WordPiece) tokenizer.json is needed.`,
        );
      return v;
    };
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');
    this.vocabSize = tok.get_vocab(true).size;
  }

  /** From the parsed contents of a Hugging Face tokenizer.json (and optional tokenizer_config.json). */
  static fromJson(json: unknown, config: Record<string, unknown> = {}): BertTokenizer {
    if (typeof json !== 'object' || json === null || !('model' in json)) {
      throw new ModelLoadError(
        'bad-tokenizer',
        'The tokenizer file is not a Hugging Face tokenizer.json (no "model" section).',
      );
    }
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, config);
    } catch (err) {
      throw new ModelLoadError('bad-tokenizer', 'The tokenizer.json could not be loaded.', (err as Error).message);
    }
    return new BertTokenizer(tok);
  }

  /** Token ids of one sentence: [CLS] wordpieces [SEP], the wordpieces cut to fit maxLength. */
  encode(text: string, maxLength = 128): number[] {
    if (maxLength < 2) throw new RangeError('maxLength must be at least 2 ([CLS] and [SEP])');
    // Cut by characters first: only the first maxLength tokens are kept, and tokenising a
    // 10 MB line whole took 46 s. A WordPiece token spans at most 100 characters (longer words
    // become one [UNK]), so this cut never changes the kept tokens of real text.
    const pieces = this.tok.encode(text.slice(0, maxLength * MAX_CHARS_PER_TOKEN), { add_special_tokens: false }).ids;
    return [this.clsId, ...pieces.slice(0, maxLength - 2), this.sepId];
  }

  encodeBatch(texts: string[], opts: EncodeOptions = {}): EncodedBatch {
    const maxLength = opts.maxLength ?? 128;
    return this.pad(
      texts.map((t) => this.encode(t, maxLength)),
      opts.padding === 'max' ? maxLength : undefined,
    );
  }

  /** Pads token id rows (from encode) into a batch, to `seqLen` or the longest row. */
  pad(rows: number[][], seqLen = Math.max(2, ...rows.map((r) => r.length))): EncodedBatch {
    const n = rows.length * seqLen;
    const inputIds = new BigInt64Array(n).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(n);
    rows.forEach((ids, b) => {
      for (let i = 0; i < ids.length; i++) {
        inputIds[b * seqLen + i] = BigInt(ids[i]);
        attentionMask[b * seqLen + i] = 1n;
      }
    });
    return { batch: rows.length, seqLen, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(n) };
  }
}
