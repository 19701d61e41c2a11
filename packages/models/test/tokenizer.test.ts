import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TextTokenizer } from '../src/index.js';
import { fixture, LLAMA2_DECODER, sentencePiece } from './helpers.js';

const bytesOf = (t: TextTokenizer, ids: number[]) => Buffer.concat(ids.map((id) => t.tokenBytes(id)));

describe('tokenBytes: the UTF-8 bytes a token stands for, also when it holds part of a character', () => {
  test('byte-level BPE (the tiny Llama): pieces map back through the byte alphabet', () => {
    const t = TextTokenizer.fromDir(fixture('tiny-llama'));
    const text = 'def f(x): return "€ é 日本"\n';
    const ids = t.encode(text, false);
    // The fixture's vocabulary has no merges for these characters: each of their bytes is a token of its own.
    const euro = t.encode('€', false);
    expect(euro).toHaveLength(3);
    expect(euro.map((id) => t.decode([id]))).toEqual(['\ufffd', '\ufffd', '\ufffd']);
    expect(euro.map((id) => [...t.tokenBytes(id)])).toEqual([[0xe2], [0x82], [0xac]]);
    // Token after token, the bytes are the text's: characters rebuild from them.
    expect(bytesOf(t, ids).equals(Buffer.from(text))).toBe(true);
    // Whole-character tokens: their decoded text's bytes (a space included).
    for (const id of t.encode(' return x', false)) expect(Buffer.from(t.tokenBytes(id)).toString()).toBe(t.decode([id]));
  });

  test('special tokens as decode treats them; ids outside the vocabulary have none', () => {
    const t = TextTokenizer.fromDir(fixture('tiny-llama'));
    const eos = t.idOf(t.eosToken ?? '</s>')!;
    expect([...t.tokenBytes(eos)]).toEqual([]);
    expect(Buffer.from(t.tokenBytes(eos, false)).toString()).toBe('</s>');
    // The tiny Llama's logits cover 384 ids, its tokenizer 362.
    expect([...t.tokenBytes(370)]).toEqual([]);
  });

  test('SentencePiece style: "▁" is a space, <0xNN> is that byte (a character split across byte-fallback pieces)', () => {
    const t = sentencePiece(LLAMA2_DECODER);
    const ids = t.encode('hi €é');
    expect(t.decode(ids)).toBe('hi €é');
    const euro = ids.slice(2, 5);
    expect(euro.map((id) => t.decode([id]))).toEqual(['\ufffd', '\ufffd', '\ufffd']);
    expect(euro.map((id) => [...t.tokenBytes(id)])).toEqual([[0xe2], [0x82], [0xac]]);
    // The first "▁hi" decodes to "hi" (Strip drops a text's leading space), but it adds " hi" after other tokens.
    expect(bytesOf(t, ids).toString()).toBe(' hi €é');
    expect(Buffer.from(t.tokenBytes(t.idOf('▁hi')!)).toString()).toBe(' hi');
    // A Metaspace decoder reads "▁" the same way.
    const metaspace = sentencePiece({ type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, { type: 'ByteFallback' }, { type: 'Fuse' }] });
    expect(bytesOf(metaspace, metaspace.encode('hi hi €')).toString()).toBe(' hi hi €');
  });
});

test('without an eos_token in tokenizer_config.json, EOS is the token generation stops on', () => {
  // The tiny Llama ships tokenizer.json only; its generation_config.json and config.json say eos_token_id 1.
  const t = TextTokenizer.fromDir(fixture('tiny-llama'));
  expect(t.idOf(t.eosToken)).toBe(1);
  expect(t.padTokenId).toBe(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-eos-'));
  for (const file of ['tokenizer.json', 'config.json', 'generation_config.json']) fs.copyFileSync(path.join(fixture('tiny-llama'), file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 1] }));
  expect(TextTokenizer.fromDir(dir).idOf(TextTokenizer.fromDir(dir).eosToken)).toBe(2);
  // tokenizer_config.json decides where it names one.
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: t.decode([0], false) }));
  expect(TextTokenizer.fromDir(dir).idOf(TextTokenizer.fromDir(dir).eosToken)).toBe(0);
  fs.rmSync(dir, { recursive: true });
});

/** The tiny Llama's tokenizer with a BOS-adding post-processor and a chat template that writes BOS itself, as Llama's do. */
function bosTokenizer(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenizer-bos-'));
  const json = JSON.parse(fs.readFileSync(path.join(fixture('tiny-llama'), 'tokenizer.json'), 'utf8'));
  json.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }], special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } } };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', chat_template: '{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}' }));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('chat text from a template is encoded without the special tokens it already holds, as transformers does', () => {
  const t = TextTokenizer.fromDir(bosTokenizer());
  expect(t.encode('hi', true)[0]).toBe(0);
  const text = t.renderChat([{ role: 'user', content: 'hi' }]);
  expect(t.chatNeedsSpecialTokens).toBe(false);
  const ids = t.encode(text, t.chatNeedsSpecialTokens);
  expect(ids.filter((id) => id === 0)).toHaveLength(1);
  expect(ids[0]).toBe(0);
  // Without a template the plain lines take them, as any text does.
  expect(TextTokenizer.fromDir(fixture('tiny-llama')).chatNeedsSpecialTokens).toBe(true);
});

test("chat_template.jinja wins over tokenizer_config.json's template, as in transformers 5; no date is made up", () => {
  const t = TextTokenizer.fromDir(bosTokenizer({ 'chat_template.jinja': 'JINJA {{ messages[0].content }} {{ date_string | default("26 Jul 2024") }}' }));
  expect(t.renderChat([{ role: 'user', content: 'hi' }])).toBe('JINJA hi 26 Jul 2024');
});
