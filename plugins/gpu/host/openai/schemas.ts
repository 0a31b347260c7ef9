/**
 * OpenAI's request shapes for the endpoints Reef serves, as much of them as local inference
 * honours. Unknown fields are tolerated (OpenAI clients send extras: `logit_bias`,
 * `response_format`…) and ignored; fields we read are checked and bounded.
 */
import { z } from 'zod';
import { STREAM_SUBJECT_PREFIX } from '../../../../sdk/index.js';

const model = z.string().min(1).max(256);
const maxText = 4_000_000;
const stop = z.union([z.string().min(1).max(1000), z.array(z.string().min(1).max(1000)).max(16)]).nullish();
const count = z.number().int().min(1).max(1_000_000).nullish();

/** Set by the gateway on a streaming route; never trusted from anywhere else. */
const streamTo = z
  .string()
  .max(200)
  .refine((s) => s.startsWith(STREAM_SUBJECT_PREFIX), 'set by the gateway')
  .optional();

/** From the X-Reef-Agent header (the gateway copies it here): whom an operator's call is for. */
const reefAgent = z.string().min(1).max(100).optional();

/** OpenAI's end-user field: for the operator's token, whom the call is for when X-Reef-Agent is absent. */
const user = z.string().min(1).max(100).nullish();

/** From the X-Reef-Max-Wait-Ms header: the longest this request may wait for its model before it goes to the fallback or is refused. */
const reefMaxWaitMs = z.coerce.number({ message: 'X-Reef-Max-Wait-Ms must be a number of milliseconds' }).int().min(0).max(3_600_000).optional();

const sampling = {
  model,
  reefAgent,
  user,
  reefMaxWaitMs,
  temperature: z.number().min(0).max(2).nullish(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).nullish(),
  stop,
  max_tokens: count,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  n: z.literal(1, { message: 'only n: 1 is served' }).nullish(),
  streamTo,
};

const contentPart = z.object({ type: z.string(), text: z.string().max(maxText).optional() }).loose();

export const ChatCompletionRequestSchema = z
  .object({
    ...sampling,
    max_completion_tokens: count,
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
            content: z.union([z.string().max(maxText), z.array(contentPart).max(1000)]).nullish(),
          })
          .loose(),
      )
      .min(1)
      .max(10_000),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z
  .object({
    ...sampling,
    prompt: z.union([z.string().max(maxText), z.array(z.string().max(maxText)).length(1, 'one prompt per request is served')]),
  })
  .loose();
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export const EmbeddingRequestSchema = z
  .object({
    model,
    input: z.union([z.string().max(maxText), z.array(z.string().max(maxText)).min(1).max(2048)]),
    encoding_format: z.enum(['float', 'base64']).nullish(),
    reefAgent,
    user,
    reefMaxWaitMs,
  })
  .loose();
export type EmbeddingRequest = z.infer<typeof EmbeddingRequestSchema>;

export const ModelsRequestSchema = z.object({}).loose();
