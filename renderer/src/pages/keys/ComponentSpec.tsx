import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import type { Ceremony } from './ceremony';
import { KeySpecFields, type KeySpec } from './KeySpecFields';
import { keyUsages, symmetricTypes } from './vocabulary';

/** Components never make the station's own signing key. */
const importUsages = keyUsages.filter((u) => u !== 'station-signing');

/** What the components make: label, type, usage and how many custodians hold a part. */
export function ComponentSpec({ station, onBegun }: { station: Station; onBegun: (c: Ceremony) => void }) {
  const [spec, setSpec] = useState<KeySpec>({ label: '', type: 'AES-128', usage: 'vendor-transport' });
  const [components, setComponents] = useState(2);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    station.call('kms.beginComponentImport', { ...spec, components }).then(
      (r) => onBegun({ ...r, ...spec }),
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
        <KeySpecFields value={spec} onChange={setSpec} types={symmetricTypes} usages={importUsages} />
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
