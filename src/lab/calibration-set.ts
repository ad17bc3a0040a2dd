// Calibration sentences over URLs (the page's workers): the first `sentences` TRAIN sentences of a
// dataset file, tokenised and padded into batches, kept for the next request with the same
// files (activation norms and then a reconstruction use the same batches). The CLI reads its own
// files from disk (cli/calibration.ts); both batch through core's calibrationBatches.
import { calibrationBatches } from '../core/pruning/calibration';
import type { EncoderBatch } from '../core/model/reference-forward';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes } from '../core/data/dataset';
import { fetchBytes, fetchText } from './fetch-asset';

export interface CalibrationRequest {
  /** Absolute URLs (a worker resolves relative ones against its own script). */
  tokenizerUrl: string;
  tokenizerConfigUrl?: string;
  /** Train sentences only: calibrating on the evaluation split would leak it. */
  dataUrl: string;
  sentences: number;
  maxLength: number;
}

export class CalibrationSet {
  private cached: { key: string; batches: EncoderBatch[] } | null = null;

  /** The batches of `req`, fetched and tokenised once per request. */
  async batches(req: CalibrationRequest): Promise<EncoderBatch[]> {
    const key = JSON.stringify(req);
    if (this.cached?.key === key) return this.cached.batches;
    const [tokenizerJson, tokenizerConfig, data] = await Promise.all([
      fetchText(req.tokenizerUrl, 'tokenizer'),
      req.tokenizerConfigUrl ? fetchText(req.tokenizerConfigUrl, 'tokenizer config').catch(() => '{}') : '{}',
      fetchBytes(req.dataUrl, 'calibration sentences'),
    ]);
    const tokenizer = BertTokenizer.fromJson(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfig));
    const texts = parseDatasetBytes(data, req.dataUrl).texts.slice(0, req.sentences);
    this.cached = { key, batches: calibrationBatches(tokenizer, texts, req.maxLength) };
    return this.cached.batches;
  }
}
