import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../core/api/index.js';
import type { Station } from '../api';
import { errorText, useKms } from '../use-kms';
import type { ConnectionState } from '../web-bridge';
import { AuditExport } from './audit/AuditExport';

export function AuditPage({ station, connection }: { station: Station; connection: ConnectionState }) {
  const [status] = useKms(station, connection);
  const [rows, setRows] = useState<MethodOutput<'audit.recent'>>([]);
  const [verdict, setVerdict] = useState<MethodOutput<'audit.verify'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const unlocked = status?.state === 'unlocked';
  // Export is dual control between two logged-in officers; a recovery session cannot sign for it.
  const canExport = status?.user?.role === 'security_officer' && !status.user.viaRecovery;
  useEffect(() => {
    if (!unlocked) return;
    station.call('audit.recent', { limit: 100 }).then(setRows, (err: unknown) => setError(errorText(err)));
  }, [station, unlocked]);
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Audit</h2>
      {!unlocked ? (
        <p className="muted">Unlock the station (Keys &amp; Ceremonies) to read and verify the audit log.</p>
      ) : (
        <>
          <p>
            <button
              type="button"
              className="primary"
              onClick={() => {
                station.call('audit.verify', {}).then(setVerdict, (err: unknown) => setError(errorText(err)));
              }}
            >
              Verify chain
            </button>
          </p>
          {verdict && (
            <div
              className={`banner ${verdict.ok ? 'banner-info' : 'banner-error'}`}
              role="status"
              data-testid="audit-verdict"
            >
              {verdict.ok
                ? `Chain intact: ${verdict.rows} rows verified.`
                : `Chain broken at row ${verdict.firstBroken}: ${verdict.reason ?? ''}`}
            </div>
          )}
          {error && (
            <div className="banner banner-error" role="alert">
              {error}
            </div>
          )}
          {canExport && <AuditExport station={station} />}
          <table className="grid" aria-label="Audit events">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Event</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.seq}>
                  <td>{r.seq}</td>
                  <td>{r.at}</td>
                  <td>{r.actor}</td>
                  <td>
                    <strong>{String(r.event.type)}</strong>{' '}
                    <span className="muted">
                      {Object.entries(r.event)
                        .filter(([k]) => k !== 'type')
                        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                        .join(' ')}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
