import { describe, it, expect, vi } from 'vitest';
import { ObfError } from '../errors.js';
import { methodNames, type ReadersSnapshot } from './contract.js';
import { createDispatcher, type Handlers } from './dispatch.js';

const snapshot: ReadersSnapshot = {
  service: { source: 'sim', state: 'up', message: '1 simulated reader' },
  readers: [{ name: 'Reader 0', state: 'present', atr: '3b00', source: 'sim' }],
};

const unused = () => Promise.reject(new Error('not used in these tests'));
// Every method not under test here answers "not used", so the fake keeps up with the contract.
const allUnused = Object.fromEntries(methodNames.map((name) => [name, unused])) as unknown as Handlers;

function fakeHandlers(overrides: Partial<Handlers> = {}): Handlers {
  return {
    ...allUnused,
    'app.info': () => Promise.resolve({ name: 'test', version: '0.0.0', host: 'cli', readerSource: 'sim' }),
    'readers.list': () => Promise.resolve(snapshot),
    'readers.simulate': () => Promise.resolve(snapshot),
    ...overrides,
  };
}

function errorOf(result: Awaited<ReturnType<ReturnType<typeof createDispatcher>>>) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.output)}`);
  return result.error;
}

describe('createDispatcher', () => {
  it('returns the output of a handler whose input and output are valid', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    await expect(dispatch('readers.list', {})).resolves.toEqual({ ok: true, output: snapshot });
  });

  it('treats a missing input as an empty object', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    const result = await dispatch('app.info', undefined);
    expect(result.ok).toBe(true);
  });

  it('passes the parsed input to the handler', async () => {
    const simulate = vi.fn<Handlers['readers.simulate']>(() => Promise.resolve(snapshot));
    const dispatch = createDispatcher(fakeHandlers({ 'readers.simulate': simulate }));
    await dispatch('readers.simulate', { reader: 'Reader 0', action: 'remove' });
    expect(simulate).toHaveBeenCalledWith({ reader: 'Reader 0', action: 'remove' });
  });

  it('answers an unknown method with UNKNOWN_METHOD naming the method', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    const error = errorOf(await dispatch('readers.format', {}));
    expect(error.code).toBe('UNKNOWN_METHOD');
    expect(error.message).toContain('readers.format');
  });

  it('does not treat inherited object properties as methods', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    expect(errorOf(await dispatch('toString', {})).code).toBe('UNKNOWN_METHOD');
    expect(errorOf(await dispatch('__proto__', {})).code).toBe('UNKNOWN_METHOD');
  });

  it('refuses an invalid input with VALIDATION naming the path of the bad field', async () => {
    const simulate = vi.fn<Handlers['readers.simulate']>(() => Promise.resolve(snapshot));
    const dispatch = createDispatcher(fakeHandlers({ 'readers.simulate': simulate }));
    const error = errorOf(await dispatch('readers.simulate', { reader: 'Reader 0', action: 'eject' }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('readers.simulate');
    expect(error.message).toMatch(/\baction\b/);
    expect(simulate).not.toHaveBeenCalled();
  });

  it('refuses a missing required field with VALIDATION naming that field', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    const error = errorOf(await dispatch('readers.simulate', { action: 'insert' }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/\breader\b/);
  });

  it('refuses extra keys because the input schemas are strict', async () => {
    const list = vi.fn<Handlers['readers.list']>(() => Promise.resolve(snapshot));
    const dispatch = createDispatcher(fakeHandlers({ 'readers.list': list }));
    const error = errorOf(await dispatch('readers.list', { verbose: true }));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('verbose');
    expect(list).not.toHaveBeenCalled();

    const simulate = errorOf(
      await dispatch('readers.simulate', { reader: 'Reader 0', action: 'insert', force: true }),
    );
    expect(simulate.code).toBe('VALIDATION');
  });

  it('refuses an input that is not an object', async () => {
    const dispatch = createDispatcher(fakeHandlers());
    expect(errorOf(await dispatch('readers.list', 'all')).code).toBe('VALIDATION');
  });

  it('keeps the code and message of an ObfError thrown by a handler', async () => {
    const dispatch = createDispatcher(
      fakeHandlers({
        'readers.simulate': () => Promise.reject(new ObfError('NOT_SIMULATED', 'a real reader')),
      }),
    );
    const error = errorOf(await dispatch('readers.simulate', { reader: 'Reader 0', action: 'insert' }));
    expect(error).toEqual({ code: 'NOT_SIMULATED', message: 'a real reader' });
  });

  it('keeps the code of an ObfError thrown synchronously by a handler', async () => {
    const dispatch = createDispatcher(
      fakeHandlers({
        'readers.list': () => {
          throw new ObfError('PCSCD_DOWN', 'pcscd is gone');
        },
      }),
    );
    expect(errorOf(await dispatch('readers.list', {})).code).toBe('PCSCD_DOWN');
  });

  it('reports a plain Error thrown by a handler as INTERNAL', async () => {
    const dispatch = createDispatcher(
      fakeHandlers({ 'readers.list': () => Promise.reject(new Error('boom')) }),
    );
    const error = errorOf(await dispatch('readers.list', {}));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('boom');
  });

  it('reports a handler output that does not match the output schema as INTERNAL', async () => {
    const dispatch = createDispatcher(
      fakeHandlers({
        'readers.list': () =>
          Promise.resolve({
            service: { source: 'sim', state: 'exploded', message: '' },
            readers: [],
          } as unknown as ReadersSnapshot),
      }),
    );
    const error = errorOf(await dispatch('readers.list', {}));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('readers.list');
    expect(error.message).toContain('service.state');
  });

  it('reports an uppercase ATR in the output as INTERNAL because the contract wants lowercase hex', async () => {
    const bad: ReadersSnapshot = {
      ...snapshot,
      readers: [{ name: 'Reader 0', state: 'present', atr: '3B00', source: 'sim' }],
    };
    const dispatch = createDispatcher(fakeHandlers({ 'readers.list': () => Promise.resolve(bad) }));
    expect(errorOf(await dispatch('readers.list', {})).code).toBe('INTERNAL');
  });
});
