import fs from 'node:fs';
import type { TextTokenizer } from '@codistill/models';

/** Target spans, in the order they are concatenated after the prompt. */
export const SPANS = ['context', 'code', 'tests'] as const;
export type SpanName = (typeof SPANS)[number] | 'target';

/** A training line: `{prompt, target}` or `{prompt, context?, code?, tests?}` (optional `id`). */
export interface TrainingRecord {
  id: string;
  prompt: string;
  spans: { name: SpanName; text: string }[];
}

export interface TokenizedExample {
  id: string;
  ids: number[];
  /** 1 where the token is part of the target (in the token loss), 0 for the prompt. */
  inLoss: number[];
  /** Token range [start, end) of each target span. */
  spans: Partial<Record<SpanName, { start: number; end: number }>>;
  /** The code span's text (ground truth for the structural loss). */
  code?: string;
}

/** Read and validate a training JSONL file; errors name the file, line and field. */
export function readTrainingFile(file: string): TrainingRecord[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: TrainingRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const str = (k: string) => {
      const v = row[k];
      if (v !== undefined && typeof v !== 'string') throw new Error(`${where}: field '${k}' must be a string`);
      return v as string | undefined;
    };
    const prompt = str('prompt');
    if (prompt === undefined) throw new Error(`${where}: field 'prompt' is missing`);
    const target = str('target');
    const spans = target !== undefined ? [{ name: 'target' as const, text: target }] : SPANS.flatMap((name) => (str(name) ? [{ name, text: str(name)! }] : []));
    if (!spans.length) throw new Error(`${where}: needs 'target' or at least one of ${SPANS.map((s) => `'${s}'`).join(', ')}`);
    out.push({ id: row.id === undefined ? `line-${i + 1}` : String(row.id), prompt, spans });
  });
  if (!out.length) throw new Error(`${file}: no training examples`);
  return out;
}

/**
 * Prompt and each target span are tokenised separately and concatenated (no text merges across
 * a boundary); the prompt gets the tokenizer's special tokens, the end gets EOS. Examples longer
 * than maxLength are cut at the end.
 */
export function tokenize(rec: TrainingRecord, tok: TextTokenizer, maxLength: number): TokenizedExample {
  const ids = tok.encode(rec.prompt, true);
  const inLoss = ids.map(() => 0);
  const spans: TokenizedExample['spans'] = {};
  const eos = tok.idOf(tok.eosToken);
  rec.spans.forEach((s, i) => {
    const piece = tok.encode(i === 0 ? s.text : `\n${s.text}`, false);
    if (i === rec.spans.length - 1 && eos !== undefined) piece.push(eos);
    spans[s.name] = { start: ids.length, end: ids.length + piece.length };
    ids.push(...piece);
    inLoss.push(...piece.map(() => 1));
  });
  const cut = Math.min(ids.length, maxLength);
  for (const s of Object.values(spans)) {
    s!.start = Math.min(s!.start, cut);
    s!.end = Math.min(s!.end, cut);
  }
  const code = rec.spans.find((s) => s.name === 'code')?.text;
  return { id: rec.id, ids: ids.slice(0, cut), inLoss: inLoss.slice(0, cut), spans, code };
}
