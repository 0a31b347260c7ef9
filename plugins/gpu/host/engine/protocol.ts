/**
 * The messages between the host and a model's engine process, validated with zod on both sides
 * (a process that sends something else is treated as broken, not trusted). One process serves
 * one model: `load` once, then any number of `generate` and `embed`, each answered under its `id`.
 */
import { z } from 'zod';

const id = z.string().min(1).max(100);
const text = z.string().max(4_000_000);

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: text,
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const GenerateParamsSchema = z.object({
  /** A chat is formatted with the model's chat template; a completion continues `prompt` as is. */
  mode: z.enum(['chat', 'completion']),
  prompt: text.optional(),
  messages: z.array(ChatMessageSchema).max(10_000).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000),
  temperature: z.number().min(0).max(2),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  stop: z.array(z.string().min(1).max(1000)).max(16),
  /** Send the text as it comes (`chunk` messages) before `done`. */
  stream: z.boolean(),
});
export type GenerateParams = z.infer<typeof GenerateParamsSchema>;

export const LoadParamsSchema = z.object({
  modelPath: z.string().min(1).max(4096),
  contextSize: z.number().int().min(16).max(1_048_576),
  threads: z.number().int().min(1).max(1024),
  /**
   * Layers to put on the GPU: a count, `max` (all of them; fails where they do not fit) or `auto`
   * (as many as fit, node-llama-cpp's estimate). Absent: the CPU only, with no GPU backend loaded.
   */
  gpuLayers: z.union([z.number().int().min(0).max(100_000), z.literal('max'), z.literal('auto')]).optional(),
});
export type LoadParams = z.infer<typeof LoadParamsSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('load'), id, params: LoadParamsSchema }),
  z.object({ type: z.literal('generate'), id, params: GenerateParamsSchema }),
  z.object({ type: z.literal('embed'), id, input: z.array(text).min(1).max(2048) }),
  z.object({ type: z.literal('cancel'), id }),
  z.object({ type: z.literal('unload'), id }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

export const FinishReasonSchema = z.enum(['stop', 'length']);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const GenerateResultSchema = z.object({
  text,
  finishReason: FinishReasonSchema,
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  /** From the first token evaluated to the last generated. */
  ms: z.number().min(0),
});
export type GenerateResult = z.infer<typeof GenerateResultSchema>;

export const LoadResultSchema = z.object({
  loadMs: z.number().min(0),
  contextSize: z.number().int(),
  embeddingLength: z.number().int(),
  /** The backend the library loaded (`cuda`, `vulkan`, `metal`), false for the CPU; sent when `gpuLayers` was asked. */
  gpu: z.union([z.string().max(100), z.literal(false)]).optional(),
  /** Layers on the GPU (when `gpuLayers` was asked). */
  gpuLayers: z.number().int().min(0).optional(),
});
export type LoadResult = z.infer<typeof LoadResultSchema>;

export const EmbedResultSchema = z.object({ vectors: z.array(z.array(z.number())), promptTokens: z.number().int().min(0) });
export type EmbedResult = z.infer<typeof EmbedResultSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  /** Sent once, when the process is ready for `load`. */
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('loaded'), id, result: LoadResultSchema }),
  z.object({ type: z.literal('chunk'), id, text }),
  z.object({ type: z.literal('done'), id, result: GenerateResultSchema }),
  z.object({ type: z.literal('embedded'), id, result: EmbedResultSchema }),
  z.object({ type: z.literal('unloaded'), id }),
  z.object({ type: z.literal('error'), id, message: z.string().max(10_000) }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
