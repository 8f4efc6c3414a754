import { useState } from 'react';
import type { SyncStatus } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';

/** Enrolment: the server URL and its administrator's one-time code, confirmed by a second officer. */
export function EnrolForm({
  station,
  reEnrol,
  onDone,
}: {
  station: Station;
  reEnrol: boolean;
  onDone: (status: SyncStatus) => void;
}) {
  const [serverUrl, setServerUrl] = useState('');
  const [code, setCode] = useState('');
  const [stationName, setStationName] = useState('');
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeOk = /^[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}$/.test(code.trim().toUpperCase());
  return (
    <form
      aria-label="Enrol with a Resource Server"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        station
          .call('sync.enrol', {
            serverUrl: serverUrl.trim(),
            code: code.trim().toUpperCase(),
            ...(stationName.trim() ? { stationName: stationName.trim() } : {}),
            second,
          })
          .then(
            (status) => {
              setSecond(noSecond);
              setCode('');
              onDone(status);
            },
            (err: unknown) => setError(errorText(err)),
          )
          .finally(() => setBusy(false));
      }}
    >
      <h3>{reEnrol ? 'Enrol again' : 'Enrol with a Resource Server'}</h3>
      <p className="muted">
        The server&apos;s administrator gives a one-time code (obf-resource-server admin enrol-code). Every
        card key this station makes goes to that server from now on, so a second security officer confirms.
      </p>
      <div className="row">
        <label>
          Server URL{' '}
          <input
            type="url"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.target.value)}
            placeholder="https://rs.example.net"
            required
          />
        </label>
        <label>
          Enrolment code{' '}
          <input
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder="XXXX-XXXX-XXXX-XXXX"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={code !== '' && !codeOk}
            required
          />
        </label>
        <label>
          Station name (optional){' '}
          <input value={stationName} onChange={(e) => setStationName(e.target.value)} maxLength={128} />
        </label>
      </div>
      {code !== '' && !codeOk && <p className="muted">A code is four groups of four: XXXX-XXXX-XXXX-XXXX.</p>}
      <SecondOfficer value={second} onChange={setSecond} />
      <Alert text={error} />
      <p>
        <button
          type="submit"
          className="primary"
          disabled={busy || !codeOk || !serverUrl || !second.passphrase}
        >
          {busy ? 'Enrolling…' : 'Enrol'}
        </button>
      </p>
    </form>
  );
}
