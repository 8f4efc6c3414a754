import type { z } from 'zod';
import { ObfError, toErrorPayload } from '../errors.js';
import {
  isMethodName,
  methods,
  type DispatchResult,
  type MethodName,
  type MethodOutput,
} from './contract.js';

export type Handlers = {
  [M in MethodName]: (input: z.output<(typeof methods)[M]['input']>) => Promise<MethodOutput<M>>;
};

/** The handlers of one area of the contract (`kyc.*`, `sync.*`), which that area's service provides. */
export type HandlersFor<K extends MethodName> = Pick<Handlers, K>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
}

/**
 * The boundary every host goes through: the method must exist, the input must parse, and the
 * output must match its schema before it leaves. Errors come back as `{code, message}`.
 */
export function createDispatcher(handlers: Handlers) {
  return async function dispatch(method: string, rawInput: unknown): Promise<DispatchResult> {
    try {
      if (!isMethodName(method))
        throw new ObfError('UNKNOWN_METHOD', `unknown method "${method.slice(0, 100)}"`);
      return { ok: true, output: await invoke(handlers, method, rawInput) };
    } catch (err) {
      return { ok: false, error: toErrorPayload(err) };
    }
  };
}

async function invoke<M extends MethodName>(
  handlers: Handlers,
  method: M,
  rawInput: unknown,
): Promise<MethodOutput<M>> {
  const spec = methods[method];
  const parsed = spec.input.safeParse(rawInput ?? {});
  if (!parsed.success) throw new ObfError('VALIDATION', `${method}: ${describeIssues(parsed.error)}`);
  const handler = handlers[method] as (input: unknown) => Promise<unknown>;
  const output = await handler(parsed.data);
  const checked = spec.output.safeParse(output);
  if (!checked.success) {
    throw new ObfError('INTERNAL', `${method} produced an invalid result: ${describeIssues(checked.error)}`);
  }
  return checked.data as MethodOutput<M>;
}
