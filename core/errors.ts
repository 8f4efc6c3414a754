/**
 * One error family with stable codes. A code is API: the UI, the CLI and tests branch on it;
 * the message is for people and names the thing at fault.
 */
export const errorCodes = [
  'VALIDATION',
  'UNKNOWN_METHOD',
  'UNAUTHORIZED',
  'NOT_SIMULATED',
  'NO_READER',
  'NO_CARD',
  'CARD_REMOVED',
  'READER_GONE',
  'PCSCD_DOWN',
  'PCSC_UNAVAILABLE',
  'SHARING_VIOLATION',
  'TIMEOUT',
  'PCSC_ERROR',
  'BAD_RESPONSE',
  'BAD_TLV',
  'CARD_AUTH_FAILED',
  'KMS_EXISTS',
  'KMS_NOT_FOUND',
  'KMS_LOCKED',
  'KMS_LOCKED_OUT',
  'KMS_AUTH_FAILED',
  'KMS_INTEGRITY',
  'DUAL_CONTROL_REQUIRED',
  'KCV_MISMATCH',
  'KEY_NOT_FOUND',
  'KEY_EXISTS',
  'INTERNAL',
] as const;

/** A listed code, or `SW_XXXX` for a card that answered status word XXXX (ISO 7816-4 §5.1.3). */
export type ErrorCode = (typeof errorCodes)[number] | `SW_${string}`;

export class ObfError extends Error {
  override readonly name = 'ObfError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isObfError(value: unknown, code?: ErrorCode): value is ObfError {
  return value instanceof ObfError && (code === undefined || value.code === code);
}

/** The wire form of any error: typed errors keep their code, anything else is INTERNAL. */
export function toErrorPayload(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof ObfError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `internal error: ${message}` };
}
