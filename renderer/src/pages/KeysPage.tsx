import { useEffect, useState, type FormEvent } from 'react';
import type { KeyRecordView, KmsStatus, MethodOutput } from '../../../core/api/index.js';
import type { Station } from '../api';
import { QrCode } from '../components/QrCode';
import { errorText, useKms } from '../use-kms';
import type { ConnectionState } from '../web-bridge';

const roles = ['security_officer', 'supervisor', 'operator'] as const;
const keyTypes = ['AES-128', 'AES-192', 'AES-256', '3DES', 'P-256', 'Ed25519'] as const;
const keyUsages = [
  'isd-master',
  'vendor-transport',
  'op',
  'output-transport',
  'application-key',
  'station-signing',
] as const;

function Alert({ text }: { text: string | null }) {
  return text ? (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  ) : null;
}

type SetupUser = { username: string; role: (typeof roles)[number]; passphrase: string };

function SetupWizard({
  station,
  onShares,
}: {
  station: Station;
  onShares: (s: MethodOutput<'kms.initialize'>) => void;
}) {
  const [users, setUsers] = useState<SetupUser[]>([
    { username: '', role: 'security_officer', passphrase: '' },
    { username: '', role: 'security_officer', passphrase: '' },
    { username: '', role: 'operator', passphrase: '' },
  ]);
  const [threshold, setThreshold] = useState(2);
  const [shares, setShares] = useState(3);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (i: number, patch: Partial<SetupUser>) =>
    setUsers((u) => u.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    station.call('kms.initialize', { users, recovery: { threshold, shares } }).then(
      (r) => onShares(r),
      (err: unknown) => {
        setError(errorText(err));
        setBusy(false);
      },
    );
  };
  return (
    <form onSubmit={submit} aria-labelledby="setup-title" className="panel">
      <h3 id="setup-title">Set up this station</h3>
      <p className="muted">
        Enrol the people who will use it. Two security officers at least: key ceremonies need two of them. The
        station database is encrypted; its key is wrapped under each passphrase and split into recovery
        shares.
      </p>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">User name</th>
            <th scope="col">Role</th>
            <th scope="col">Passphrase (12+ characters)</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u, i) => (
            <tr key={i}>
              <td>
                <input
                  aria-label={`User ${i + 1} name`}
                  value={u.username}
                  onChange={(e) => update(i, { username: e.target.value })}
                  autoComplete="off"
                />
              </td>
              <td>
                <select
                  aria-label={`User ${i + 1} role`}
                  value={u.role}
                  onChange={(e) => update(i, { role: e.target.value as SetupUser['role'] })}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {r.replace('_', ' ')}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  type="password"
                  aria-label={`User ${i + 1} passphrase`}
                  value={u.passphrase}
                  onChange={(e) => update(i, { passphrase: e.target.value })}
                  autoComplete="new-password"
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button
          type="button"
          onClick={() => setUsers((u) => [...u, { username: '', role: 'operator', passphrase: '' }])}
        >
          Add a user
        </button>
      </p>
      <fieldset>
        <legend>Recovery</legend>
        <label>
          Shares needed (M){' '}
          <input
            type="number"
            min={2}
            max={16}
            value={threshold}
            onChange={(e) => setThreshold(Number(e.target.value))}
          />
        </label>{' '}
        <label>
          Shares made (N){' '}
          <input
            type="number"
            min={2}
            max={16}
            value={shares}
            onChange={(e) => setShares(Number(e.target.value))}
          />
        </label>
      </fieldset>
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Setting up…' : 'Initialise station'}
      </button>
    </form>
  );
}

function SharesShownOnce({ result, onDone }: { result: MethodOutput<'kms.initialize'>; onDone: () => void }) {
  return (
    <section className="panel" aria-labelledby="shares-title">
      <h3 id="shares-title">Recovery shares: shown once</h3>
      <p>
        Hand each share to its custodian now and have them check it against its checksum. They are stored
        nowhere; enough of them together recover the station if every passphrase is lost.
      </p>
      <ol className="shares">
        {result.shares.map((s) => (
          <li key={s.index} data-testid="recovery-share">
            <QrCode text={s.share} label={`Share ${s.index} as a QR code`} />
            <span className="muted">Share {s.index}</span> <code className="share">{s.share}</code>{' '}
            <span className="muted">check</span> <strong className="kcv">{s.checksum.toUpperCase()}</strong>
          </li>
        ))}
      </ol>
      <p className="muted">Ceremony transcript hash: {result.transcriptSha256}</p>
      <button type="button" className="primary" onClick={onDone}>
        Every share is handed out
      </button>
    </section>
  );
}

function Login({ station }: { station: Station }) {
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station.call('kms.unlock', { username, passphrase }).then(
      () => setPassphrase(''),
      (err: unknown) => {
        setPassphrase('');
        setError(errorText(err));
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel narrow" aria-labelledby="login-title">
      <h3 id="login-title">Station locked</h3>
      <label>
        User name{' '}
        <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
      </label>
      <label>
        Passphrase{' '}
        <input
          type="password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          autoComplete="current-password"
        />
      </label>
      <Alert text={error} />
      <button type="submit" className="primary">
        Unlock
      </button>
    </form>
  );
}

function GenerateKey({ station, onDone }: { station: Station; onDone: (key: KeyRecordView) => void }) {
  const [label, setLabel] = useState('');
  const [type, setType] = useState<(typeof keyTypes)[number]>('AES-128');
  const [usage, setUsage] = useState<(typeof keyUsages)[number]>('isd-master');
  const [second, setSecond] = useState('');
  const [secondPass, setSecondPass] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station
      .call('kms.generateKey', { label, type, usage, second: { username: second, passphrase: secondPass } })
      .then(
        (r) => {
          setSecondPass('');
          setError(null);
          onDone(r.key);
        },
        (err: unknown) => {
          setSecondPass('');
          setError(errorText(err));
        },
      );
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="generate-title">
      <h3 id="generate-title">Generate a key (dual control)</h3>
      <div className="row">
        <label>
          Label <input value={label} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value as typeof type)}>
            {keyTypes.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Usage{' '}
          <select value={usage} onChange={(e) => setUsage(e.target.value as typeof usage)}>
            {keyUsages.map((u) => (
              <option key={u}>{u}</option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted">A second security officer confirms here, in person.</p>
      <div className="row">
        <label>
          Second officer{' '}
          <input value={second} onChange={(e) => setSecond(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Their passphrase{' '}
          <input
            type="password"
            value={secondPass}
            onChange={(e) => setSecondPass(e.target.value)}
            autoComplete="off"
          />
        </label>
      </div>
      <Alert text={error} />
      <button type="submit" className="primary">
        Generate
      </button>
    </form>
  );
}

function KeyList({ station, status }: { station: Station; status: KmsStatus }) {
  const [keys, setKeys] = useState<KeyRecordView[]>([]);
  const [latest, setLatest] = useState<KeyRecordView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () =>
    station.call('kms.keys', {}).then(setKeys, (err: unknown) => setError(errorText(err)));
  useEffect(() => {
    void refresh();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [station]);
  return (
    <>
      <div className="page-head">
        <p>
          Logged in as <strong>{status.user?.username}</strong> ({status.user?.role.replace('_', ' ')}) ·
          station <code>{status.stationId}</code>
        </p>
        <button type="button" onClick={() => void station.call('kms.lock', {})}>
          Lock station
        </button>
      </div>
      <Alert text={error} />
      {latest && (
        <div className="banner banner-info" role="status">
          Generated <strong>{latest.label}</strong>: KCV{' '}
          <strong className="kcv">{latest.kcv.toUpperCase()}</strong>
        </div>
      )}
      <table className="grid" aria-label="Keys">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Type</th>
            <th scope="col">Usage</th>
            <th scope="col">KCV</th>
            <th scope="col">State</th>
            <th scope="col">Origin</th>
            <th scope="col">Created by</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid="key-row">
              <td>{k.label}</td>
              <td>{k.type}</td>
              <td>{k.usage}</td>
              <td className="kcv">{k.kcv.toUpperCase()}</td>
              <td>{k.state}</td>
              <td>{k.origin}</td>
              <td>{k.createdBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status.user?.role === 'security_officer' && (
        <GenerateKey
          station={station}
          onDone={(k) => {
            setLatest(k);
            void refresh();
          }}
        />
      )}
    </>
  );
}

export function KeysPage({ station, connection }: { station: Station; connection: ConnectionState }) {
  const [status] = useKms(station, connection);
  const [shares, setShares] = useState<MethodOutput<'kms.initialize'> | null>(null);
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Keys &amp; Ceremonies</h2>
      {shares ? (
        <SharesShownOnce result={shares} onDone={() => setShares(null)} />
      ) : !status ? null : status.state === 'unavailable' ? (
        <p className="muted">This host has no data folder for the station database.</p>
      ) : status.state === 'uninitialised' ? (
        <SetupWizard station={station} onShares={setShares} />
      ) : status.state === 'locked' ? (
        <Login station={station} />
      ) : (
        <KeyList station={station} status={status} />
      )}
    </section>
  );
}
