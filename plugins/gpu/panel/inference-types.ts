/** The wire types of local inference as the panel uses them: types only, from the host. */
export type { InferenceStatus, ModelStatus } from '../host/openai/admin.js';
export type { SwapRecord } from '../host/engine/engine.js';
export type { TokenTotals } from '../host/openai/stats.js';

/** `reef.v1.inference.load` reply. */
export interface LoadReply {
  model: string;
  loaded: boolean;
  loadMs: number;
}

/** One OpenAI chat chunk as the panel reads it (what it does not read is left out). */
export interface ChatChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: { message?: string };
}
