import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import type { Ceremony } from './ceremony';
import { keyUsages, symmetricTypes, type KeyType, type KeyUsage } from './vocabulary';

/** What the components make: label, type, usage and how many custodians hold a part. */
export function ComponentSpec({ station, onBegun }: { station: Station; onBegun: (c: Ceremony) => void }) {
  const [label, setLabel] = useState('');
  const [type, setType] = useState<KeyType>('AES-128');
  const [usage, setUsage] = useState<KeyUsage>('vendor-transport');
  const [components, setComponents] = useState(2);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    station.call('kms.beginComponentImport', { label, type, usage, components }).then(
      (r) => onBegun({ ...r, label, type, usage }),
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="import-title">
      <h3 id="import-title">Import a key by components</h3>
      <p className="muted">
        Each custodian brings their component and its KCV on a sealed sheet and enters it on their own screen.
        The components stay in the station&apos;s memory until the last one; leaving this screen cancels the
        ceremony.
      </p>
      <div className="row">
        <label>
          Label <input value={label} onChange={(e) => setLabel(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value as KeyType)}>
            {symmetricTypes.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Usage{' '}
          <select value={usage} onChange={(e) => setUsage(e.target.value as KeyUsage)}>
            {keyUsages
              .filter((u) => u !== 'station-signing')
              .map((u) => (
                <option key={u}>{u}</option>
              ))}
          </select>
        </label>
        <label>
          Components{' '}
          <select value={components} onChange={(e) => setComponents(Number(e.target.value))}>
            <option value={2}>2</option>
            <option value={3}>3</option>
          </select>
        </label>
      </div>
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy}>
        Begin ceremony
      </button>
    </form>
  );
}
