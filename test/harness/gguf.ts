/**
 * Tiny random-weight GGUF models that the tests generate (no model can be downloaded here).
 *
 * A llama-architecture model with a byte-level SentencePiece vocabulary: `<unk>`, `<s>`, `</s>`
 * the 256 byte tokens `<0x00>`…`<0xFF>` and `▁` (SentencePiece's space): 260 tokens, so any text
 * tokenizes through byte fallback. Weights are f32, drawn from a seeded generator: the same options give the same bytes.
 * Output is noise; tests assert shapes, counts and stop behaviour, never text.
 *
 * Layout (GGUF v3, little-endian): magic, version, tensor count, metadata count, metadata
 * key/values, tensor infos (name, dims innermost first, type, offset into the data), padding to
 * `general.alignment`, then each tensor's data at its aligned offset.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../plugins/gpu/host/scheduler/simulation.js';

export interface TinyModelOptions {
  /** general.name; also the file's stem. */
  name?: string;
  layers?: number;
  /** Hidden size (embedding_length). */
  embd?: number;
  heads?: number;
  headsKv?: number;
  /** feed_forward_length */
  ff?: number;
  contextLength?: number;
  seed?: number;
}

// GGUF metadata value types.
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;
// ggml tensor type
const GGML_F32 = 0;
const ALIGNMENT = 32;

type Meta =
  | { t: 'u32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'strs'; v: string[] }
  | { t: 'f32s'; v: number[] }
  | { t: 'i32s'; v: number[] };

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(to: number): void {
    const rem = this.length % to;
    if (rem) this.push(Buffer.alloc(to - rem));
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMeta(w: Writer, key: string, m: Meta): void {
  w.str(key);
  switch (m.t) {
    case 'u32':
      w.u32(T_UINT32);
      w.u32(m.v);
      return;
    case 'f32':
      w.u32(T_FLOAT32);
      w.f32(m.v);
      return;
    case 'bool':
      w.u32(T_BOOL);
      w.push(Buffer.from([m.v ? 1 : 0]));
      return;
    case 'str':
      w.u32(T_STRING);
      w.str(m.v);
      return;
    case 'strs':
      w.u32(T_ARRAY);
      w.u32(T_STRING);
      w.u64(m.v.length);
      for (const s of m.v) w.str(s);
      return;
    case 'f32s':
      w.u32(T_ARRAY);
      w.u32(T_FLOAT32);
      w.u64(m.v.length);
      for (const n of m.v) w.f32(n);
      return;
    case 'i32s':
      w.u32(T_ARRAY);
      w.u32(T_INT32);
      w.u64(m.v.length);
      for (const n of m.v) w.i32(n);
      return;
  }
}

export const TINY_VOCAB_SIZE = 260;

/** The bytes of a tiny llama GGUF model. */
export function tinyGguf(options: TinyModelOptions = {}): Buffer {
  const name = options.name ?? 'tiny-llama';
  const layers = options.layers ?? 2;
  const embd = options.embd ?? 64;
  const heads = options.heads ?? 4;
  const headsKv = options.headsKv ?? heads;
  const ff = options.ff ?? 128;
  const ctx = options.contextLength ?? 512;
  const headDim = embd / heads;
  if (!Number.isInteger(headDim)) throw new Error('embd must be a multiple of heads');
  const kvDim = headDim * headsKv;
  const random = seededRandom(options.seed ?? 1);

  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3]; // unknown, control, control
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // byte
  }
  // SentencePiece writes spaces as U+2581; without a token for it a space would come back as its bytes.
  tokens.push('\u2581');
  types.push(1); // normal
  const meta: Array<[string, Meta]> = [
    ['general.architecture', { t: 'str', v: 'llama' }],
    ['general.name', { t: 'str', v: name }],
    ['general.alignment', { t: 'u32', v: ALIGNMENT }],
    ['general.file_type', { t: 'u32', v: 0 }], // ALL_F32
    ['llama.context_length', { t: 'u32', v: ctx }],
    ['llama.embedding_length', { t: 'u32', v: embd }],
    ['llama.block_count', { t: 'u32', v: layers }],
    ['llama.feed_forward_length', { t: 'u32', v: ff }],
    ['llama.attention.head_count', { t: 'u32', v: heads }],
    ['llama.attention.head_count_kv', { t: 'u32', v: headsKv }],
    ['llama.rope.dimension_count', { t: 'u32', v: headDim }],
    ['llama.rope.freq_base', { t: 'f32', v: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
    ['llama.vocab_size', { t: 'u32', v: tokens.length }],
    ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { t: 'strs', v: tokens }],
    ['tokenizer.ggml.scores', { t: 'f32s', v: tokens.map(() => 0) }],
    ['tokenizer.ggml.token_type', { t: 'i32s', v: types }],
    // Without it SentencePiece puts a space before the text, and text does not come back the same.
    ['tokenizer.ggml.add_space_prefix', { t: 'bool', v: false }],
    ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: 0 }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 1 }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: 2 }],
  ];

  // Tensors: dims innermost first, as ggml's ne.
  const tensors: Array<{ name: string; dims: number[]; fill: 'ones' | 'random' }> = [
    { name: 'token_embd.weight', dims: [embd, tokens.length], fill: 'random' },
    { name: 'output_norm.weight', dims: [embd], fill: 'ones' },
    { name: 'output.weight', dims: [embd, tokens.length], fill: 'random' },
  ];
  for (let i = 0; i < layers; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [embd], fill: 'ones' },
      { name: `blk.${i}.attn_q.weight`, dims: [embd, embd], fill: 'random' },
      { name: `blk.${i}.attn_k.weight`, dims: [embd, kvDim], fill: 'random' },
      { name: `blk.${i}.attn_v.weight`, dims: [embd, kvDim], fill: 'random' },
      { name: `blk.${i}.attn_output.weight`, dims: [embd, embd], fill: 'random' },
      { name: `blk.${i}.ffn_norm.weight`, dims: [embd], fill: 'ones' },
      { name: `blk.${i}.ffn_gate.weight`, dims: [embd, ff], fill: 'random' },
      { name: `blk.${i}.ffn_up.weight`, dims: [embd, ff], fill: 'random' },
      { name: `blk.${i}.ffn_down.weight`, dims: [ff, embd], fill: 'random' },
    );
  }

  const head = new Writer();
  head.u32(0x46554747); // "GGUF"
  head.u32(3);
  head.u64(tensors.length);
  head.u64(meta.length);
  for (const [key, m] of meta) writeMeta(head, key, m);
  let offset = 0;
  const datas: Buffer[] = [];
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(GGML_F32);
    head.u64(offset);
    const count = t.dims.reduce((a, b) => a * b, 1);
    const data = Buffer.alloc(Math.ceil((count * 4) / ALIGNMENT) * ALIGNMENT);
    for (let i = 0; i < count; i++) data.writeFloatLE(t.fill === 'ones' ? 1 : (random() * 2 - 1) * 0.08, i * 4);
    datas.push(data);
    offset += data.length;
  }
  head.pad(ALIGNMENT);
  return Buffer.concat([head.buffer(), ...datas]);
}

/** Sizes tests use: all load in well under a second on one thread. */
export const TINY_MODELS = {
  tiny: { name: 'tiny-a', layers: 2, embd: 64, heads: 4, ff: 128, seed: 1 },
  tinyB: { name: 'tiny-b', layers: 2, embd: 64, heads: 4, headsKv: 2, ff: 128, seed: 2 },
  small: { name: 'small', layers: 4, embd: 128, heads: 4, ff: 256, seed: 3 },
} satisfies Record<string, TinyModelOptions>;

const runDir = path.join(os.tmpdir(), `reef-gguf-${process.pid}`);

/**
 * Writes the model to `dir` (default: a folder for this test process, reused by its files)
 * as `<name>.gguf` unless it is there already; returns the path.
 */
export function writeTinyModel(options: TinyModelOptions = {}, dir = runDir): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${options.name ?? 'tiny-llama'}.gguf`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, tinyGguf(options));
  renameSync(tmp, file);
  return file;
}
