import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import type { Handout } from './handout';
import { RecoveryCountFields } from './RecoveryCountFields';
import { roleName, roles, type Role } from './vocabulary';

type SetupUser = { username: string; role: Role; passphrase: string };

/** First run: the people who use the station, and the M-of-N split of its recovery key. */
export function SetupWizard({ station, onShares }: { station: Station; onShares: (h: Handout) => void }) {
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
      (r) => {
        setUsers((u) => u.map((x) => ({ ...x, passphrase: '' })));
        onShares({
          title: 'Recovery shares',
          threshold,
          shares: r.shares,
          transcriptSha256: r.transcriptSha256,
        });
      },
      (err: unknown) => {
        // Every passphrase is typed again by its owner: none stays in the form after a refusal.
        setUsers((u) => u.map((x) => ({ ...x, passphrase: '' })));
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
        shares. Each person types their own passphrase.
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
                  autoCapitalize="off"
                  spellCheck={false}
                />
              </td>
              <td>
                <select
                  aria-label={`User ${i + 1} role`}
                  value={u.role}
                  onChange={(e) => update(i, { role: e.target.value as Role })}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {roleName(r)}
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
        <RecoveryCountFields
          threshold={threshold}
          shares={shares}
          onThresholdChange={setThreshold}
          onSharesChange={setShares}
        />
      </fieldset>
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Setting up…' : 'Initialise station'}
      </button>
    </form>
  );
}
