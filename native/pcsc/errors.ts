/**
 * The binding's errors carry no PC/SC codes, only pcsc-lite's text (pcsc_stringify_error).
 * Match the text once, here, and hand the rest of the station typed errors.
 */
import { ObfError, type ErrorCode } from '../../core/index.js';

const patterns: readonly [RegExp, ErrorCode][] = [
  [/card was removed|no smart card present|card is not present|removed card/i, 'CARD_REMOVED'],
  [
    /service not (running|available)|no service|cannot connect to pc\/sc|communication error|invalid handle|service was stopped/i,
    'PCSCD_DOWN',
  ],
  [/unknown reader|reader is (unavailable|not available)|reader.*(unavailable|removed)/i, 'READER_GONE'],
  [/sharing violation/i, 'SHARING_VIOLATION'],
  [/time(d)? ?out/i, 'TIMEOUT'],
];

export function pcscErrorCode(message: string): ErrorCode {
  return patterns.find(([re]) => re.test(message))?.[1] ?? 'PCSC_ERROR';
}

export function mapPcscError(err: unknown, context: string): ObfError {
  if (err instanceof ObfError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new ObfError(pcscErrorCode(text), `${context}: ${text}`, { cause: err });
}

/** Errors after which the PC/SC context is useless and the supervisor must start over. */
export function isServiceFailure(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return pcscErrorCode(text) === 'PCSCD_DOWN';
}
