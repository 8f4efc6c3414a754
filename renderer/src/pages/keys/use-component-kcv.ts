import { useEffect, useState } from 'react';
import type { Station } from '../../api';
import { compactHex, isHex } from '../../hex';
import { errorText } from '../../use-kms';
import { componentHexLengths, type KeyType } from './vocabulary';

export type LiveKcv =
  | { state: 'incomplete'; digits: number; needed: readonly number[] }
  | { state: 'pending' }
  | { state: 'ready'; kcv: string }
  | { state: 'failed'; message: string };

const DEBOUNCE_MS = 350;

/**
 * The KCV of a component as it is typed, asked of the station (`kms.componentKcv`) once the
 * typing pauses and the length is complete; nothing is asked for a partial component.
 */
export function useComponentKcv(station: Station, type: KeyType, typed: string): [LiveKcv, () => void] {
  const hex = compactHex(typed);
  const needed = componentHexLengths[type] ?? [];
  const complete = isHex(hex) && needed.includes(hex.length);
  const [answer, setAnswer] = useState<{ of: string; kcv?: string; error?: string } | null>(null);
  useEffect(() => {
    if (!complete) return;
    let current = true;
    const timer = setTimeout(() => {
      station.call('kms.componentKcv', { type, component: hex }).then(
        (r) => current && setAnswer({ of: hex, kcv: r.kcv }),
        (err: unknown) => current && setAnswer({ of: hex, error: errorText(err) }),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [station, type, hex, complete]);
  const reset = () => setAnswer(null);
  if (!complete) return [{ state: 'incomplete', digits: hex.length, needed }, reset];
  if (answer?.of !== hex) return [{ state: 'pending' }, reset];
  if (answer.kcv !== undefined) return [{ state: 'ready', kcv: answer.kcv }, reset];
  return [{ state: 'failed', message: answer.error ?? 'no answer' }, reset];
}
