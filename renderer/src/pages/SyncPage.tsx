import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../core/api/index.js';
import type { Station } from '../api';
import { Alert } from '../components/Alert';
import { errorText, useKms } from '../use-kms';
import type { ConnectionState } from '../web-bridge';
import { EnrolForm } from './sync/EnrolForm';
import { QuarantineTable, RegistryTables } from './sync/SyncTables';
import { stateLabel, useSync } from './sync/use-sync';

/** Sync with the Resource Server (DESIGN.md §6): link state, queue, "sync now", enrolment, quarantine, registry. */
export function SyncPage({ station, connection }: { station: Station; connection: ConnectionState }) {
  const [kms] = useKms(station, connection);
  const [status, setStatus] = useSync(station, connection);
  const [quarantine, setQuarantine] = useState<MethodOutput<'sync.quarantine'>>([]);
  const [registry, setRegistry] = useState<MethodOutput<'sync.registry'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const unlocked = kms?.state === 'unlocked' && !kms.user?.viaRecovery;
  const enrolled = status?.enrolment != null;
  const officer = kms?.user?.role === 'security_officer';
  const lastSync = status?.lastSyncAt;
  const quarantined = status?.quarantined;

  useEffect(() => {
    if (!unlocked || !enrolled) return;
    station
      .call('sync.quarantine', { limit: 200 })
      .then(setQuarantine, (e: unknown) => setError(errorText(e)));
    station.call('sync.registry', { limit: 500 }).then(setRegistry, (e: unknown) => setError(errorText(e)));
  }, [station, unlocked, enrolled, lastSync, quarantined]);

  if (!status) return <p className="muted">Loading sync status…</p>;
  const label = stateLabel[status.state];
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Sync</h2>
      <div className={`banner sync-state sync-${status.state}`} role="status" data-testid="sync-state">
        <strong>
          <span aria-hidden="true">{label.icon}</span> {label.text}
        </strong>{' '}
        — {status.message}
      </div>
      <dl className="facts">
        <dt>Queue</dt>
        <dd data-testid="sync-queue">{status.queue ?? '—'}</dd>
        <dt>Acknowledged</dt>
        <dd>{status.acknowledged ?? '—'}</dd>
        <dt>Quarantined</dt>
        <dd data-testid="sync-quarantined">{status.quarantined ?? '—'}</dd>
        <dt>Last sync</dt>
        <dd data-testid="sync-last">{status.lastSyncAt ?? 'never'}</dd>
        {status.nextAttemptAt && (
          <>
            <dt>Next attempt</dt>
            <dd>{status.nextAttemptAt}</dd>
          </>
        )}
        {status.enrolment && (
          <>
            <dt>Server</dt>
            <dd>
              {status.enrolment.serverUrl} ({status.enrolment.serverId}) — enrolled{' '}
              {status.enrolment.enrolledAt} by {status.enrolment.enrolledBy}
            </dd>
          </>
        )}
      </dl>
      {status.lastError && status.state !== 'online' && (
        <p className="muted">Last error: {status.lastError}</p>
      )}
      {!unlocked ? (
        <p className="muted">
          Unlock the station (Keys &amp; Ceremonies): sync reads its outbox and signs with its key.
        </p>
      ) : (
        <>
          {enrolled && (
            <p>
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() => {
                  setBusy(true);
                  setError(null);
                  station
                    .call('sync.now', {})
                    .then(
                      (r) => setStatus(r.status),
                      (e: unknown) => setError(errorText(e)),
                    )
                    .finally(() => setBusy(false));
                }}
              >
                {busy ? 'Syncing…' : 'Sync now'}
              </button>
            </p>
          )}
          <Alert text={error} />
          {officer ? (
            <EnrolForm station={station} reEnrol={enrolled} onDone={setStatus} />
          ) : (
            !enrolled && (
              <p className="muted">A security officer enrols this station with a Resource Server.</p>
            )
          )}
          {enrolled && (
            <>
              <h3>Quarantine</h3>
              <p className="muted">
                Records the server rejected, with its reason. They are kept and never sent again.
              </p>
              <QuarantineTable rows={quarantine} />
              <h3>Application registry</h3>
              {registry && <RegistryTables registry={registry} />}
            </>
          )}
        </>
      )}
    </section>
  );
}
