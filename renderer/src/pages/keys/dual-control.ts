import { useState } from 'react';
import type { UserRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { noSecond, type SecondCredentials } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';

/** What the users panel hands each of its forms; a form reports what it changed through onChanged. */
export type UserFormProps = {
  station: Station;
  recovery: boolean;
  users: UserRecordView[];
  onChanged: (message: string) => void;
};

/** In a recovery session the custodians stand for the second person; otherwise a second officer signs. */
export function secondFor(recovery: boolean, second: SecondCredentials): SecondCredentials | undefined {
  return recovery ? undefined : { username: second.username.trim(), passphrase: second.passphrase };
}

/**
 * The part every dual-control form of the Users and Recovery panels shares: the second officer's
 * credentials, whose passphrase leaves the form with the call, and the call's busy flag and error.
 */
export function useDualControlSubmit(recovery: boolean) {
  const [second, setSecond] = useState(noSecond);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const clearSecond = () => setSecond((s) => ({ ...s, passphrase: '' }));
  /** The credentials for one call; the second officer types their passphrase again for the next. */
  const takeSecond = () => {
    const taken = secondFor(recovery, second);
    clearSecond();
    return taken;
  };
  const run = <T>(call: Promise<T>, onDone: (result: T) => void) => {
    setBusy(true);
    call.then(
      (result) => {
        setBusy(false);
        setError(null);
        onDone(result);
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return { second, setSecond, clearSecond, takeSecond, busy, error, setError, run };
}
