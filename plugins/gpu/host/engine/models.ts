/**
 * The models directory: every `.gguf` file in it (not in subfolders) with what its header says.
 * Only the header is read (node-llama-cpp's readGgufFileInfo), never the weights, so a scan of
 * large files is quick; results are kept per file until its size or modification time changes.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ModelInfo {
  /** The file name without `.gguf`: what requests name as `model`. */
  id: string;
  path: string;
  sizeBytes: number;
  modifiedAt: number;
  architecture: string;
  /** general.name when the file has one. */
  name?: string;
  /** Counted from the tensor shapes. */
  parameters: number;
  /** From general.file_type (`MOSTLY_Q4_K_M`, `ALL_F32`), or `unknown`. */
  quantization: string;
  contextLength?: number;
  embeddingLength?: number;
  blockCount?: number;
  headCountKv?: number;
  headCount?: number;
}

/** A file in the directory whose header could not be read: listed with the reason. */
export interface UnreadableModel {
  id: string;
  path: string;
  error: string;
}

type ArchitectureFields = {
  context_length?: number;
  embedding_length?: number;
  block_count?: number;
  attention?: { head_count?: number; head_count_kv?: number };
};

export async function readModelInfo(file: string): Promise<ModelInfo> {
  const { readGgufFileInfo, GgufFileType } = await import('node-llama-cpp');
  const [st, info] = await Promise.all([stat(file), readGgufFileInfo(file, { sourceType: 'filesystem', readTensorInfo: true, logWarnings: false })]);
  let parameters = 0;
  for (const t of info.tensorInfo ?? []) parameters += t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
  const arch = info.architectureMetadata as ArchitectureFields;
  const fileType = info.metadata.general.file_type;
  return {
    id: path.basename(file).replace(/\.gguf$/i, ''),
    path: file,
    sizeBytes: st.size,
    modifiedAt: st.mtimeMs,
    architecture: String(info.metadata.general.architecture),
    ...(info.metadata.general.name ? { name: String(info.metadata.general.name) } : {}),
    parameters,
    quantization: fileType !== undefined ? (GgufFileType[fileType] ?? `type ${fileType}`) : 'unknown',
    ...(arch.context_length !== undefined ? { contextLength: arch.context_length } : {}),
    ...(arch.embedding_length !== undefined ? { embeddingLength: arch.embedding_length } : {}),
    ...(arch.block_count !== undefined ? { blockCount: arch.block_count } : {}),
    ...(arch.attention?.head_count !== undefined ? { headCount: arch.attention.head_count } : {}),
    ...(arch.attention?.head_count_kv !== undefined ? { headCountKv: arch.attention.head_count_kv } : {}),
  };
}

export class ModelsDirectory {
  private readonly cache = new Map<string, { key: string; info: ModelInfo | UnreadableModel }>();

  constructor(readonly dir: string) {}

  /** A file's header, read once per size and modification time. */
  private async entry(file: string, name: string): Promise<ModelInfo | UnreadableModel | undefined> {
    let st;
    try {
      st = await stat(file);
    } catch {
      return undefined; // gone since it was listed, or never there
    }
    if (!st.isFile()) return undefined;
    const key = `${st.size}:${st.mtimeMs}`;
    let entry = this.cache.get(file);
    if (entry?.key !== key) {
      let info: ModelInfo | UnreadableModel;
      try {
        info = await readModelInfo(file);
      } catch (err) {
        info = { id: name.replace(/\.gguf$/i, ''), path: file, error: err instanceof Error ? err.message : String(err) };
      }
      entry = { key, info };
      this.cache.set(file, entry);
    }
    return entry.info;
  }

  async scan(): Promise<{ models: ModelInfo[]; unreadable: UnreadableModel[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { models: [], unreadable: [] };
      throw err;
    }
    const models: ModelInfo[] = [];
    const unreadable: UnreadableModel[] = [];
    const seen = new Set<string>();
    for (const name of names.filter((n) => n.toLowerCase().endsWith('.gguf')).sort()) {
      const file = path.join(this.dir, name);
      seen.add(file);
      const info = await this.entry(file, name);
      if (!info) continue;
      if ('error' in info) unreadable.push(info);
      else models.push(info);
    }
    for (const file of this.cache.keys()) if (!seen.has(file)) this.cache.delete(file);
    return { models, unreadable };
  }

  /**
   * The model named `id`: its own file looked at first (every request asks, so not the whole
   * folder each time), the folder scanned only when that file is not there (a `.GGUF` spelling).
   */
  async find(id: string): Promise<ModelInfo | undefined> {
    if (id === path.basename(id) && !id.startsWith('.')) {
      const info = await this.entry(path.join(this.dir, `${id}.gguf`), `${id}.gguf`);
      if (info) return 'error' in info ? undefined : info;
    }
    return (await this.scan()).models.find((m) => m.id === id);
  }
}

/** Bytes a model needs in RAM on the CPU: its weights, the f16 KV cache for its context, and room to compute. */
export function estimateMemoryBytes(model: ModelInfo, contextSize: number): number {
  const layers = model.blockCount ?? 32;
  const embd = model.embeddingLength ?? 4096;
  const heads = model.headCount ?? 32;
  const kvDim = (embd / heads) * (model.headCountKv ?? heads);
  const kvCache = 2 * layers * contextSize * kvDim * 2;
  const overhead = 64 * 2 ** 20;
  return model.sizeBytes + kvCache + overhead;
}
