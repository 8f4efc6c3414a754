import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { MaskedInput } from '../../components/MaskedInput';
import { errorText } from '../../use-kms';

/** Anyone logged in (not a recovery session) changes their own passphrase. */
export function ChangePassphrase({ station, username }: { station: Station; username: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const clear = () => {
    setCurrent('');
    setNext('');
    setAgain('');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (next !== again) {
      clear();
      setError('The two new passphrases differ.');
      return;
    }
    const input = { current, next };
    clear();
    station.call('kms.changePassphrase', input).then(
      () => {
        setError(null);
        setDone(true);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel narrow" aria-label="Change your passphrase">
      <h4>Change your passphrase ({username})</h4>
      <MaskedInput
        label="Current passphrase"
        value={current}
        onChange={setCurrent}
        autoComplete="current-password"
      />
      <MaskedInput label="Your new passphrase" value={next} onChange={setNext} autoComplete="new-password" />
      <MaskedInput
        label="Your new passphrase again"
        value={again}
        onChange={setAgain}
        autoComplete="new-password"
      />
      {done && (
        <p className="banner banner-ok" role="status">
          Passphrase changed.
        </p>
      )}
      <Alert text={error} />
      <button type="submit" className="primary">
        Change passphrase
      </button>
    </form>
  );
}
