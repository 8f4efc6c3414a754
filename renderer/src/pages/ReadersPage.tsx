import { useState } from 'react';
import type { ReaderService } from '../../../core/api/index.js';
import type { Station } from '../api';
import { ReaderTile } from '../components/ReaderTile';
import { useReaders } from '../use-readers';
import type { ConnectionState } from '../web-bridge';

function ServiceBanner({ service }: { service: ReaderService }) {
  if (service.state === 'down') {
    return (
      <div className="banner banner-error" role="alert">
        <strong>pcscd is not running.</strong> Readers come back by themselves when it does.{' '}
        <span className="muted">{service.message}</span>
      </div>
    );
  }
  if (service.state === 'unavailable') {
    return (
      <div className="banner banner-error" role="alert">
        <strong>PC/SC is not available on this machine.</strong> {service.message}
      </div>
    );
  }
  if (service.source === 'sim') {
    return (
      <div className="banner banner-info" role="status">
        <strong>Simulated readers (demo mode).</strong> {service.message}
      </div>
    );
  }
  return null;
}

export function ReadersPage({ station, connection }: { station: Station; connection: ConnectionState }) {
  const { snapshot, error } = useReaders(station, connection);
  const [actionError, setActionError] = useState<string | null>(null);

  const simulate = (reader: string, action: 'insert' | 'remove') => {
    station.call('readers.simulate', { reader, action }).then(
      () => setActionError(null),
      (err: unknown) => setActionError(err instanceof Error ? err.message : String(err)),
    );
  };

  const readers = snapshot?.readers ?? [];
  const present = readers.filter((r) => r.state === 'present').length;
  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <h2 id="page-title">Readers</h2>
        {snapshot && (
          <p className="counts" aria-live="polite">
            <span className="count">{readers.length}</span> readers · <span className="count">{present}</span>{' '}
            with a card
          </p>
        )}
      </div>
      {snapshot && <ServiceBanner service={snapshot.service} />}
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
      {actionError && (
        <div className="banner banner-error" role="alert">
          {actionError}
        </div>
      )}
      {snapshot && snapshot.service.state === 'up' && readers.length === 0 && (
        <p className="muted">No reader is attached. Plug one in; it appears here within a second.</p>
      )}
      <ul className="tiles" aria-label="Readers">
        {readers.map((r) => (
          <ReaderTile key={r.name} reader={r} onSimulate={r.source === 'sim' ? simulate : undefined} />
        ))}
      </ul>
    </section>
  );
}
