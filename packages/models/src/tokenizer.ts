import fs from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { hostTensor, type HostTensor } from '@codistill/graph';

type Json = Record<string, unknown>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export interface BatchEncodeOptions {
  /** Add BOS/EOS as the tokenizer's post-processor says (default true). */
  addSpecialTokens?: boolean;
  /** Cut sequences to this many tokens (keeping the start; from the left when truncationSide is 'left'). */
  maxLength?: number;
  truncationSide?: 'left' | 'right';
  /** Pad to the longest row (default) or to maxLength. */
  padTo?: 'longest' | 'max_length';
  /** Generation wants 'left' (the last column is every row's last token); tokenizer_config decides by default. */
  paddingSide?: 'left' | 'right';
}

export interface BatchEncoding {
  /** int64 [batch, length] */
  inputIds: HostTensor;
  /** int64 [batch, length]: 1 for tokens, 0 for padding */
  attentionMask: HostTensor;
  /** Tokens per row before padding. */
  lengths: number[];
}

/** A token written as a string or as an AddedToken object in tokenizer_config.json. */
const tokenText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'content' in v ? String((v as { content: unknown }).content) : undefined;

function readJson(file: string): Json {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Json) : {};
}

/** The first id of a config's `eos_token_id` (an id, or a list of them). */
const firstId = (value: unknown): number | undefined => {
  const id = Array.isArray(value) ? value[0] : value;
  return Number.isInteger(id) ? (id as number) : undefined;
};

/**
 * Byte-level BPE's alphabet (GPT-2's `bytes_to_unicode`, also Llama 3's and Qwen2's) read backwards:
 * each byte is written as one printable character (itself when printable, else U+0100 onwards).
 */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  const table = new Map<string, number>();
  let next = 0x100;
  for (let b = 0; b < 256; b++) table.set(String.fromCodePoint(printable(b) ? b : next++), b);
  return table;
})();

/** One step of a tokenizer.json `decoder` (a Sequence flattened), as far as a token's bytes depend on it. */
interface DecoderStep {
  type: string;
  decoders?: DecoderStep[];
  pattern?: { String?: string; Regex?: string };
  content?: string;
  replacement?: string;
}
const decoderSteps = (d: DecoderStep | null | undefined): DecoderStep[] => (!d ? [] : d.type === 'Sequence' ? (d.decoders ?? []).flatMap(decoderSteps) : [d]);

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);

/**
 * How a vocabulary piece becomes bytes under `decoder`, or undefined for a decoder this does not
 * know (then the token's decoded text stands for its bytes). Leading-space stripping (`Strip`,
 * Metaspace's prefix) is not applied: a token's bytes are what it adds after other tokens.
 */
function pieceBytesOf(decoder: DecoderStep | null | undefined): ((piece: string) => Uint8Array) | undefined {
  const steps = decoderSteps(decoder);
  // GPT-2 / Llama 3 style: every character of a piece is one byte.
  if (steps.some((s) => s.type === 'ByteLevel')) return (piece) => Uint8Array.from([...piece].flatMap((c) => BYTE_OF_CHAR.get(c) ?? [...utf8(c)]));
  // SentencePiece style: "▁" is a space (a Replace step, or Metaspace), a <0xNN> piece is that byte (ByteFallback).
  // A regex Replace (its syntax is Rust's, not always JavaScript's) is left to the decoded text.
  if (steps.some((s) => s.type === 'Replace' && s.pattern?.String === undefined)) return undefined;
  const rewrites = steps.flatMap((s) => (s.type === 'Metaspace' ? [[s.replacement ?? '\u2581', ' ']] : s.type === 'Replace' ? [[s.pattern!.String!, s.content ?? '']] : []));
  const byteFallback = steps.some((s) => s.type === 'ByteFallback');
  if (!byteFallback && !rewrites.length) return undefined;
  return (piece) => {
    const byte = byteFallback ? /^<0x([0-9A-Fa-f]{2})>$/.exec(piece) : null;
    return byte ? Uint8Array.of(parseInt(byte[1], 16)) : utf8(rewrites.reduce((text, [from, to]) => text.replaceAll(from, to), piece));
  };
}

/** A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) with chat templates and batching. */
export class TextTokenizer {
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly paddingSide: 'left' | 'right';
  private readonly chatTemplates = new Map<string, string>();
  private readonly pieceBytes: ((piece: string) => Uint8Array) | undefined;
  private readonly addedTokens: ReadonlyMap<number, { content: string; special: boolean }>;

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly config: Json,
  ) {
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
    // Many causal LMs ship no pad token; any id works under a zero attention mask, EOS is customary.
    this.padToken = tokenText(config.pad_token) ?? this.eosToken;
    this.paddingSide = config.padding_side === 'left' ? 'left' : 'right';
    const t = config.chat_template;
    if (typeof t === 'string') this.chatTemplates.set('default', t);
    else if (Array.isArray(t)) for (const { name, template } of t as { name: string; template: string }[]) this.chatTemplates.set(name, template);
    this.pieceBytes = pieceBytesOf(tokenizer.decoder?.config as DecoderStep | undefined);
    this.addedTokens = tokenizer.get_added_tokens_decoder();
  }

  /**
   * Load `tokenizer.json` (required) and `tokenizer_config.json` (optional) from a checkpoint folder.
   * Without an `eos_token` there, EOS is the token generation stops on (generation_config.json's
   * `eos_token_id`, else config.json's), so that training ends its targets with the EOS generation
   * waits for, instead of teaching a model that never stops.
   */
  static fromDir(dir: string): TextTokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(file)) throw new Error(`${dir}: no tokenizer.json (only fast tokenizers are supported)`);
    const config = readJson(path.join(dir, 'tokenizer_config.json'));
    const chat = path.join(dir, 'chat_template.jinja');
    // transformers 5 saves templates to chat_template.jinja, which wins over tokenizer_config.json's.
    if (fs.existsSync(chat)) config.chat_template = fs.readFileSync(chat, 'utf8');
    const tokenizer = new Tokenizer(readJson(file), config);
    if (config.eos_token == null) {
      const id = [readJson(path.join(dir, 'generation_config.json')).eos_token_id, readJson(path.join(dir, 'config.json')).eos_token_id].map(firstId).find((i) => i !== undefined);
      const token = id === undefined ? undefined : tokenizer.id_to_token(id);
      if (token !== undefined) config.eos_token = token;
    }
    return new TextTokenizer(tokenizer, config);
  }

  idOf(token: string | undefined): number | undefined {
    return token === undefined ? undefined : this.tokenizer.token_to_id(token);
  }

  get padTokenId(): number {
    return this.idOf(this.padToken) ?? 0;
  }

  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  /**
   * The UTF-8 bytes token `id` stands for. `decode([id])` cannot give them when the token is part of
   * a character (it shows U+FFFD); these concatenate, token after token, into the text's bytes.
   * Byte-level BPE pieces map back through their byte alphabet, SentencePiece pieces read "▁" as a
   * space and <0xNN> as that byte, added tokens are their content; a special token skipped by
   * `decode` (the default) has none. Ids outside the vocabulary have none either.
   */
  tokenBytes(id: number, skipSpecialTokens = true): Uint8Array {
    const added = this.addedTokens.get(id);
    if (added) return added.special && skipSpecialTokens ? new Uint8Array() : utf8(added.content);
    const piece = this.tokenizer.id_to_token(id);
    if (piece === undefined) return new Uint8Array();
    return this.pieceBytes?.(piece) ?? utf8(this.decode([id], skipSpecialTokens));
  }

  /** Encode several texts into padded int64 id and mask tensors. */
  encodeBatch(texts: string[], opts: BatchEncodeOptions = {}): BatchEncoding {
    const side = opts.paddingSide ?? this.paddingSide;
    const rows = texts.map((t) => {
      const ids = this.encode(t, opts.addSpecialTokens ?? true);
      if (opts.maxLength === undefined || ids.length <= opts.maxLength) return ids;
      return opts.truncationSide === 'left' ? ids.slice(ids.length - opts.maxLength) : ids.slice(0, opts.maxLength);
    });
    const width = opts.padTo === 'max_length' && opts.maxLength ? opts.maxLength : Math.max(...rows.map((r) => r.length));
    const ids: number[] = [];
    const mask: number[] = [];
    for (const r of rows) {
      const pad = width - r.length;
      const padIds = new Array<number>(pad).fill(this.padTokenId);
      const padMask = new Array<number>(pad).fill(0);
      const realMask = new Array<number>(r.length).fill(1);
      ids.push(...(side === 'left' ? [...padIds, ...r] : [...r, ...padIds]));
      mask.push(...(side === 'left' ? [...padMask, ...realMask] : [...realMask, ...padMask]));
    }
    const dims = [texts.length, width];
    return { inputIds: hostTensor('int64', dims, ids), attentionMask: hostTensor('int64', dims, mask), lengths: rows.map((r) => r.length) };
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplates.size > 0;
  }

  /** Render the chat template (tokenizer_config.json `chat_template`) to the prompt text. */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; template?: string } = {}): string {
    const source = this.chatTemplates.get(opts.template ?? 'default') ?? [...this.chatTemplates.values()][0];
    if (!source) throw new Error('no chat template (chat_template.jinja, or chat_template in tokenizer_config.json): pass the prompt as plain text');
    // No date_string, as transformers and vLLM render: Llama 3.1's template then writes its own date.
    return new Template(source).render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
      pad_token: this.padToken ?? '',
    });
  }

  /**
   * A conversation as prompt text, ready for the assistant's turn: the chat template when the
   * tokenizer has one, else "role: content" lines ending in "assistant:" (base models).
   */
  /**
   * Whether renderChat's text still takes the special tokens when encoded: a chat template writes its
   * own BOS (transformers and vLLM encode it with add_special_tokens=False); the plain lines do not.
   */
  get chatNeedsSpecialTokens(): boolean {
    return !this.hasChatTemplate;
  }

  renderChat(messages: ChatMessage[]): string {
    if (this.hasChatTemplate) return this.applyChatTemplate(messages, { addGenerationPrompt: true });
    return `${messages.map((m) => `${m.role}: ${m.content}`).join('\n')}\nassistant:`;
  }
}
