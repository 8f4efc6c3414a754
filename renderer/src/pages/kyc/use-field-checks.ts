import { useCallback, useEffect, useRef, useState } from 'react';
import type { KycFieldKind } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { errorText } from '../../use-kms';
import type { FieldMessage } from './Field';

/** How long typing pauses before a field is checked (ms); a scanner's burst ends well within it. */
const PAUSE_MS = 450;

/** One field to check: its path in the method's input, the station's validator, its local rule. */
export interface FieldSpec {
  path: string;
  value: string;
  kind?: KycFieldKind;
  /** The message of the local shape rule (required, characters, length), or null. */
  local: string | null;
}

/**
 * Field messages by path ('device.imei', 'custodian.address.pincode'), checked the instant a
 * field is left (blur, Enter) and after a pause in typing, through kyc.validateField: the same
 * validators kyc.capture applies, so a message seen here is the one saving would give. A late
 * answer for a value since changed is dropped (a sequence number per path).
 */
export function useFieldChecks(station: Station) {
  const [messages, setMessages] = useState<Record<string, FieldMessage>>({});
  const seq = useRef(new Map<string, number>());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((t) => clearTimeout(t));
  }, []);

  const set = useCallback((path: string, message: FieldMessage) => {
    setMessages((m) => ({ ...m, [path]: message }));
  }, []);

  /** Checks one field now; true when it may be saved. */
  const check = useCallback(
    async (spec: FieldSpec): Promise<boolean> => {
      const { path, value, kind, local } = spec;
      clearTimeout(timers.current.get(path));
      const n = (seq.current.get(path) ?? 0) + 1;
      seq.current.set(path, n);
      if (local) {
        set(path, { error: local });
        return false;
      }
      if (!kind || value.trim() === '') {
        set(path, {});
        return true;
      }
      try {
        const r = await station.call('kyc.validateField', { kind, value });
        if (seq.current.get(path) === n)
          set(path, {
            error: r.valid ? null : r.errors.join('; '),
            warning: r.warnings.length > 0 ? r.warnings.join('; ') : null,
          });
        return r.valid;
      } catch (err) {
        if (seq.current.get(path) === n) set(path, { error: errorText(err) });
        return false;
      }
    },
    [station, set],
  );

  /** Checks one field once typing pauses: every keystroke is already in the field's value. */
  const later = useCallback(
    (spec: FieldSpec) => {
      clearTimeout(timers.current.get(spec.path));
      timers.current.set(
        spec.path,
        setTimeout(() => void check(spec), PAUSE_MS),
      );
    },
    [check],
  );

  /** Checks every field given; true when all may be saved. */
  const checkAll = useCallback(
    async (specs: FieldSpec[]) => (await Promise.all(specs.map(check))).every(Boolean),
    [check],
  );

  /** Messages the station gave on save (kyc.capture's VALIDATION), placed by path. */
  const place = useCallback((byPath: Record<string, string>) => {
    setMessages((m) => {
      const next = { ...m };
      for (const [path, text] of Object.entries(byPath)) if (path !== '') next[path] = { error: text };
      return next;
    });
  }, []);

  const reset = useCallback(() => {
    timers.current.forEach((t) => clearTimeout(t));
    timers.current.clear();
    seq.current.clear();
    setMessages({});
  }, []);

  return { messages, check, later, checkAll, place, reset };
}

export type FieldChecks = ReturnType<typeof useFieldChecks>;
