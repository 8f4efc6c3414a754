import { describe, it, expect } from 'vitest';
import { ObfError } from '../../core/index.js';
import { isServiceFailure, mapPcscError, pcscErrorCode } from './errors.js';

describe('pcscErrorCode', () => {
  it.each([
    ['Card was removed', 'CARD_REMOVED'],
    ['No smart card present', 'CARD_REMOVED'],
    ['PC/SC service not running', 'PCSCD_DOWN'],
    ['Communication error', 'PCSCD_DOWN'],
    ['Sharing violation', 'SHARING_VIOLATION'],
    ['Command timeout', 'TIMEOUT'],
    ['Unknown reader specified', 'READER_GONE'],
    ['Something entirely different', 'PCSC_ERROR'],
  ] as const)('maps "%s" to %s', (text, code) => {
    expect(pcscErrorCode(text)).toBe(code);
  });

  it('matches regardless of case and of surrounding text', () => {
    expect(pcscErrorCode('SCardTransmit failed: CARD WAS REMOVED (0x80100069)')).toBe('CARD_REMOVED');
    expect(pcscErrorCode('establish context: the service was stopped')).toBe('PCSCD_DOWN');
    expect(pcscErrorCode('The operation timed out')).toBe('TIMEOUT');
  });

  it('maps an empty text to PCSC_ERROR', () => {
    expect(pcscErrorCode('')).toBe('PCSC_ERROR');
  });
});

describe('mapPcscError', () => {
  it('turns a binding error into a typed error that keeps the context and the cause', () => {
    const cause = new Error('Sharing violation');
    const err = mapPcscError(cause, 'connect to "R1"');
    expect(err).toBeInstanceOf(ObfError);
    expect(err.code).toBe('SHARING_VIOLATION');
    expect(err.message).toBe('connect to "R1": Sharing violation');
    expect(err.cause).toBe(cause);
  });

  it('returns an ObfError unchanged', () => {
    const original = new ObfError('READER_GONE', 'gone');
    expect(mapPcscError(original, 'connect')).toBe(original);
  });

  it('maps a thrown string by its text', () => {
    expect(mapPcscError('Card was removed', 'transmit').code).toBe('CARD_REMOVED');
  });
});

describe('isServiceFailure', () => {
  it('is true for errors after which pcscd must be reached again', () => {
    expect(isServiceFailure(new Error('PC/SC service not running'))).toBe(true);
    expect(isServiceFailure(new Error('Communication error'))).toBe(true);
    expect(isServiceFailure('Invalid handle')).toBe(true);
  });

  it('is false for errors about one card or reader', () => {
    expect(isServiceFailure(new Error('Card was removed'))).toBe(false);
    expect(isServiceFailure(new Error('Unknown reader specified'))).toBe(false);
    expect(isServiceFailure(new Error('Sharing violation'))).toBe(false);
    expect(isServiceFailure(new Error('Something else'))).toBe(false);
  });
});
