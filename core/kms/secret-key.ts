/**
 * Secret material in one type: printing, logging, JSON or IPC show `[secret kcv=…]`, never the
 * bytes, and `zero()` overwrites the buffer when the key is no longer needed.
 */
import { inspect } from 'node:util';

export class SecretKey {
  readonly #bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    readonly kcv: string,
  ) {
    this.#bytes = bytes;
  }

  /** The key bytes, for the primitive that needs them. Do not keep the reference. */
  expose(): Uint8Array {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  zero(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return `[secret kcv=${this.kcv}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
