import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { BindingState, KycBindingSummary } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import type { ConnectionState } from '../../web-bridge';
import { purposeLabels } from './form';

type SearchBy = 'any' | 'iccid' | 'imei' | 'vin' | 'registration' | 'name';

const byLabels: Record<SearchBy, string> = {
  any: 'Any key',
  iccid: 'ICCID',
  imei: 'IMEI',
  vin: 'VIN',
  registration: 'Registration number',
  name: 'Custodian name',
};

/** A binding's state in words with its own icon (never colour alone, DESIGN §10). */
export const stateText: Record<BindingState, { icon: string; text: string }> = {
  active: { icon: '●', text: 'Active' },
  superseded: { icon: '↻', text: 'Superseded (corrected)' },
  transferred: { icon: '⇄', text: 'Transferred' },
  withdrawn: { icon: '⊘', text: 'Consent withdrawn' },
  erased: { icon: '✖', text: 'Erased' },
};

export function BindingState({ state }: { state: BindingState }) {
  return (
    <span className={`kyc-state kyc-state-${state}`} data-testid="binding-state">
      <span aria-hidden="true">{stateText[state].icon}</span> {stateText[state].text}
    </span>
  );
}

/**
 * Bindings: the most recent on opening, or those a search finds by ICCID, IMEI, VIN,
 * registration number (exact after normalising) or custodian name (whole words). A barcode
 * scanner's Enter runs the search. `refresh` changes when a binding changed elsewhere.
 */
export function BindingsList({
  station,
  connection,
  selected,
  onOpen,
  refresh,
}: {
  station: Station;
  connection: ConnectionState;
  selected: string | null;
  onOpen: (id: string) => void;
  refresh: number;
}) {
  const queryId = useId();
  const byId = useId();
  const [query, setQuery] = useState('');
  const [by, setBy] = useState<SearchBy>('any');
  const [history, setHistory] = useState(false);
  const [shown, setShown] = useState<{ query: string | null; rows: KycBindingSummary[] }>({
    query: null,
    rows: [],
  });
  const [error, setError] = useState<string | null>(null);

  const run = useCallback(
    (q: string) => {
      const call =
        q.trim() === ''
          ? station.call('kyc.recent', { limit: 50 })
          : station.call('kyc.bindings', { query: q, by, includeHistory: history, limit: 100 });
      call.then(
        (rows) => {
          setShown({ query: q.trim() === '' ? null : q.trim(), rows });
          setError(null);
        },
        (err: unknown) => setError(errorText(err)),
      );
    },
    [station, by, history],
  );

  // The list follows changes (a save here, a kyc event from another window) with the same search.
  const [lastQuery, setLastQuery] = useState('');
  useEffect(() => {
    if (connection === 'open') run(lastQuery);
  }, [connection, refresh, run, lastQuery]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLastQuery(query);
    run(query);
  };

  return (
    <section className="panel kyc-bindings" aria-labelledby="kyc-bindings-title">
      <h3 id="kyc-bindings-title">Bindings</h3>
      <form className="kyc-search" role="search" onSubmit={submit}>
        <div className="field">
          <label htmlFor={queryId}>Search bindings</label>
          <input
            id={queryId}
            type="search"
            className="mono"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder="ICCID, IMEI, VIN, registration or name"
          />
        </div>
        <div className="field">
          <label htmlFor={byId}>Search by</label>
          <select id={byId} value={by} onChange={(e) => setBy(e.target.value as SearchBy)}>
            {Object.entries(byLabels).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <label className="inline">
          <input type="checkbox" checked={history} onChange={(e) => setHistory(e.target.checked)} /> Include
          history
        </label>
        <button type="submit" className="primary">
          Search
        </button>
        {shown.query !== null && (
          <button
            type="button"
            onClick={() => {
              setQuery('');
              setLastQuery('');
              run('');
            }}
          >
            Show recent
          </button>
        )}
      </form>
      <Alert text={error} />
      <p className="muted" role="status" data-testid="bindings-count">
        {shown.query === null
          ? `${shown.rows.length} most recent binding(s)`
          : `${shown.rows.length} binding(s) found for “${shown.query}”`}
      </p>
      {shown.rows.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Bindings" className="kyc-table">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">ICCID</th>
                <th scope="col">IMEI</th>
                <th scope="col">VIN</th>
                <th scope="col">Registration</th>
                <th scope="col">Custodian</th>
                <th scope="col">Purpose</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.rows.map((b) => (
                <tr
                  key={b.id}
                  data-testid="binding-row"
                  data-binding={b.id}
                  aria-selected={b.id === selected}
                  className={b.id === selected ? 'kyc-row-selected' : undefined}
                >
                  <td>
                    <BindingState state={b.state} />
                  </td>
                  <td className="mono">{b.iccid}</td>
                  <td className="mono">{b.imei ?? '—'}</td>
                  <td className="mono">{b.vin ?? '—'}</td>
                  <td className="mono">{b.registration ?? '—'}</td>
                  <td>{b.custodianName ?? '(erased)'}</td>
                  <td>{purposeLabels[b.purpose]}</td>
                  <td className="nowrap">{new Date(b.createdAt).toLocaleString()}</td>
                  <td>
                    <button type="button" onClick={() => onOpen(b.id)} aria-label={`Open binding ${b.id}`}>
                      Open
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
