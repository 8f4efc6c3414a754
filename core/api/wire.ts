/**
 * Frames exchanged by the web host and its WebSocket client, and by the Electron IPC bridge.
 * Hosts parse every incoming frame with these schemas before acting on it.
 */
import { z } from 'zod';
import { apiError } from './contract.js';

export const callFrame = z
  .object({
    type: z.literal('call'),
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(100),
    input: z.unknown(),
  })
  .strict();
export type CallFrame = z.infer<typeof callFrame>;

export const resultFrame = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('result'), id: z.number(), ok: z.literal(true), output: z.unknown() }),
  z.object({ type: z.literal('result'), id: z.number(), ok: z.literal(false), error: apiError }),
]);
export type ResultFrame = z.infer<typeof resultFrame>;

export const eventFrame = z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() });
export type EventFrame = z.infer<typeof eventFrame>;

export const serverFrame = z.union([resultFrame, eventFrame]);
export type ServerFrame = z.infer<typeof serverFrame>;
