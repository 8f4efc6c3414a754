/** Schema pieces every part of the contract shares (contract.ts and its per-area files). */
import { z } from 'zod';
import { MIN_PASSPHRASE, USERNAME_PATTERN } from '../kms/vocabulary.js';

export const hex = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'lowercase hex');
export const empty = z.object({}).strict();
export const done = z.object({ done: z.literal(true) });

export const username = z
  .string()
  .regex(USERNAME_PATTERN, 'a user name is 2-32 of a-z 0-9 . _ -, starting with a letter');
export const passphrase = z.string().min(MIN_PASSPHRASE, `at least ${MIN_PASSPHRASE} characters`).max(1024);

/** Someone proving themselves inside one operation (the second person of dual control, a custodian). */
export const credentials = z.object({ username, passphrase: z.string().min(1).max(1024) }).strict();
