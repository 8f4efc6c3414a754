/**
 * The only place that loads the PC/SC binding (`smartcard`, Node-API over pcsc-lite). It is an
 * optional dependency: a machine without the pcsc-lite headers still installs and runs the
 * station on simulated readers, and this module says what to install.
 */
import { createRequire } from 'node:module';
import type * as Smartcard from 'smartcard';

export type Binding = typeof Smartcard;

export const PCSC_INSTALL_HINT =
  'for real readers install pcscd and libpcsclite-dev (apt-get install pcscd libpcsclite-dev), then run npm rebuild smartcard';

let cached: { binding: Binding } | { error: string } | undefined;

export function loadBinding(): { binding: Binding } | { error: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = { binding: require('smartcard') as Binding };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    cached = { error: `PC/SC binding not available (${reason}): ${PCSC_INSTALL_HINT}` };
  }
  return cached;
}
