import { readParquetRows } from '@codistill/data';
import { readJsonl } from '@codistill/util';
import type { ChatMessage, TextTokenizer } from '@codistill/models';

/** Target spans, in the order they are concatenated after the prompt. */
export const SPANS = ['context', 'code', 'tests'] as const;
export type SpanName = (typeof SPANS)[number] | 'target';

/**
 * A training line: codistill's `{prompt, target}` or `{prompt, context?, code?, tests?}`, or one of
 * TRL's SFT formats: `{messages}`, `{prompt, completion}` (text or messages), `{text}`; optional
 * `id`. The prompt is out of the loss, the rest in it. A conversation's prompt is rendered with
 * the tokenizer's chat template (ready for the assistant's turn).
 */
export interface TrainingRecord {
  id: string;
  prompt: string | ChatMessage[];
  spans: { name: SpanName; text: string }[];
}

/** One example as training holds it: token ids in a typed array, not text (a large file is held as ids only). */
export interface TokenizedExample {
  id: string;
  ids: Int32Array;
  /** The prompt is ids[0, targetStart) (not in the token loss); the target, in the loss, is the rest. */
  targetStart: number;
  /** Token range [start, end) of each target span. */
  spans: Partial<Record<SpanName, { start: number; end: number }>>;
  /** The code span's text (ground truth for the structural loss). */
  code?: string;
}

/**
 * The records of a training file, validated and streamed (the file is never held whole): JSONL
 * (a line over MAX_JSONL_LINE_BYTES, 64 MiB, is an error) or parquet (TRL's datasets as the Hub
 * stores them; a row's columns are the fields). Errors name the file, line or row, and field.
 */
export async function* readTrainingRecords(file: string): AsyncGenerator<TrainingRecord> {
  let records = 0;
  for await (const { value, where, defaultId } of readRows(file)) {
    yield toRecord(value, where, defaultId);
    records++;
  }
  if (!records) throw new Error(`${file}: no training examples`);
}

async function* readRows(file: string): AsyncGenerator<{ value: unknown; where: string; defaultId: string }> {
  if (file.toLowerCase().endsWith('.parquet')) {
    for await (const { value, row } of readParquetRows(file)) yield { value, where: `${file}: row ${row}`, defaultId: `row-${row}` };
    return;
  }
  const invalid = (line: number, reason: string) => {
    throw new Error(`${file}:${line}: not valid JSON (${reason})`); // the last line too: an input is never a torn append
  };
  for (const { value, line } of readJsonl(file, { onInvalid: invalid })) yield { value, where: `${file}:${line}`, defaultId: `line-${line}` };
}

/** All records of a training file (small files; training streams them with readTrainingRecords). */
export async function readTrainingFile(file: string): Promise<TrainingRecord[]> {
  const records: TrainingRecord[] = [];
  for await (const r of readTrainingRecords(file)) records.push(r);
  return records;
}

/** Field readers for one line that name the line and field in their errors. */
function fieldsOf(value: unknown, where: string) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected a JSON object`);
  const row = value as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = row[k];
    if (v !== undefined && typeof v !== 'string') throw new Error(`${where}: field '${k}' must be a string`);
    return v as string | undefined;
  };
  const messages = (k: string): ChatMessage[] => {
    const v = row[k];
    if (!Array.isArray(v) || !v.length) throw new Error(`${where}: field '${k}' must be a non-empty list of {role, content} messages`);
    return v.map((m, i) => {
      const { role, content } = (m ?? {}) as Record<string, unknown>;
      if (typeof role !== 'string' || typeof content !== 'string') throw new Error(`${where}: ${k}[${i}] must be {"role": string, "content": string}`);
      return { role, content } as ChatMessage;
    });
  };
  return { row, str, messages };
}

/** TRL's formats as a prompt (out of the loss) and a target; undefined for codistill's own. */
function trlRecord(f: ReturnType<typeof fieldsOf>, where: string): Omit<TrainingRecord, 'id'> | undefined {
  const { row, str, messages } = f;
  const target = (text: string) => [{ name: 'target' as const, text }];
  if (row.messages !== undefined) {
    // Conversational language modelling: the last turn, the assistant's, is learnt.
    const all = messages('messages');
    const last = all[all.length - 1];
    if (last.role !== 'assistant' || all.length < 2) throw new Error(`${where}: field 'messages' must end with an assistant message after at least one other`);
    return { prompt: all.slice(0, -1), spans: target(last.content) };
  }
  if (row.completion !== undefined) {
    if (typeof row.completion !== 'string' && !Array.isArray(row.completion)) throw new Error(`${where}: field 'completion' must be a string or a list of {role, content} messages`);
    const completion = typeof row.completion === 'string' ? str('completion')! : messages('completion').map((m) => m.content).join('');
    return { prompt: typeof row.prompt === 'string' || row.prompt === undefined ? (str('prompt') ?? '') : messages('prompt'), spans: target(completion) };
  }
  if (row.text !== undefined && row.prompt === undefined) return { prompt: '', spans: target(str('text')!) };
  return undefined;
}

function toRecord(value: unknown, where: string, defaultId: string): TrainingRecord {
  const f = fieldsOf(value, where);
  const id = f.row.id === undefined ? defaultId : String(f.row.id);
  const trl = trlRecord(f, where);
  if (trl) return { id, ...trl };
  const prompt = f.str('prompt');
  if (prompt === undefined) throw new Error(`${where}: field 'prompt' is missing (or use TRL's 'messages', 'prompt' + 'completion', or 'text')`);
  const target = f.str('target');
  const spans = target !== undefined ? [{ name: 'target' as const, text: target }] : SPANS.flatMap((name) => (f.str(name) ? [{ name, text: f.str(name)! }] : []));
  if (!spans.length) throw new Error(`${where}: needs 'completion' (TRL's prompt + completion), 'target', or at least one of ${SPANS.map((s) => `'${s}'`).join(', ')}`);
  return { id, prompt, spans };
}

/**
 * Prompt and each target span are tokenised separately and concatenated (no text merges across
 * a boundary); a text prompt gets the tokenizer's special tokens, the end gets EOS. Examples longer
 * than maxLength are cut at the end.
 */
export function tokenize(rec: TrainingRecord, tok: TextTokenizer, maxLength: number): TokenizedExample {
  // A chat template writes its own special tokens (as TRL tokenises it: add_special_tokens=False).
  const ids = typeof rec.prompt === 'string' ? tok.encode(rec.prompt, true) : tok.encode(tok.renderChat(rec.prompt), tok.chatNeedsSpecialTokens);
  const promptLength = ids.length;
  const spans: TokenizedExample['spans'] = {};
  const eos = tok.idOf(tok.eosToken);
  rec.spans.forEach((s, i) => {
    const piece = tok.encode(i === 0 ? s.text : `\n${s.text}`, false);
    if (i === rec.spans.length - 1 && eos !== undefined) piece.push(eos);
    spans[s.name] = { start: ids.length, end: ids.length + piece.length };
    for (const id of piece) ids.push(id); // not push(...piece): a long span would overflow the call stack
  });
  const cut = Math.min(ids.length, maxLength);
  for (const s of Object.values(spans)) {
    s!.start = Math.min(s!.start, cut);
    s!.end = Math.min(s!.end, cut);
  }
  const code = rec.spans.find((s) => s.name === 'code')?.text;
  return { id: rec.id, ids: Int32Array.from(ids.slice(0, cut)), targetStart: Math.min(promptLength, cut), spans, code };
}

const PACK_VALUES = 2 ** 20;

/**
 * Copies id arrays into shared 4 MiB blocks and returns views of them: one allocation per block
 * rather than one per small array, which fragments memory (measured on 574-token examples: 3.2 KB
 * resident per example unpacked, 2.7 KB packed, 2.3 KB of ids).
 */
export function idPacker(): (ids: Int32Array) => Int32Array {
  let block = new Int32Array(0);
  let used = 0;
  return (ids) => {
    if (used + ids.length > block.length) {
      block = new Int32Array(Math.max(PACK_VALUES, ids.length));
      used = 0;
    }
    const view = block.subarray(used, used + ids.length);
    view.set(ids);
    used += ids.length;
    return view;
  };
}
