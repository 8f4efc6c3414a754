import { useEffect, useState } from 'react';
import type { Station } from '../api';
import { useKms } from '../use-kms';
import { useReaders } from '../use-readers';
import type { ConnectionState } from '../web-bridge';
import { BindingDetail } from './kyc/BindingDetail';
import { BindingsList } from './kyc/Bindings';
import { CaptureWizard } from './kyc/CaptureWizard';

type Tab = 'capture' | 'bindings';

/**
 * Machine KYC (clause 3.2.4): a device bound to its custodian at the dealer's counter, and the
 * bindings kept, searched, transferred, corrected and withdrawn. Personal data is sealed in the
 * station database, so the page works on the unlocked station only.
 */
export function KycPage({
  station,
  connection,
  onOpenKeys,
}: {
  station: Station;
  connection: ConnectionState;
  onOpenKeys: () => void;
}) {
  const [status] = useKms(station, connection);
  const unlocked = status?.state === 'unlocked';
  const { snapshot } = useReaders(station, connection);
  const [tab, setTab] = useState<Tab>('capture');
  const [open, setOpen] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [saved, setSaved] = useState<{ id: string; what: string } | null>(null);

  // Another window's change (or this one's) refreshes the list and the binding on screen.
  useEffect(() => station.on('kyc', () => setRefresh((n) => n + 1)), [station]);

  const openBinding = (id: string) => {
    setOpen(id);
    setTab('bindings');
  };

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Machine KYC</h2>
      {!status ? null : !unlocked ? (
        <div className="banner banner-info" role="status" data-testid="kyc-locked">
          <p>
            <strong>The station is locked.</strong> KYC records are sealed in the station: log in under Keys
            &amp; Ceremonies first.
          </p>
          <button type="button" onClick={onOpenKeys}>
            Go to Keys &amp; Ceremonies
          </button>
        </div>
      ) : (
        <>
          <nav className="tabs" aria-label="KYC">
            <button
              type="button"
              className="tab"
              aria-current={tab === 'capture' ? 'page' : undefined}
              onClick={() => setTab('capture')}
            >
              New binding
            </button>
            <button
              type="button"
              className="tab"
              aria-current={tab === 'bindings' ? 'page' : undefined}
              onClick={() => setTab('bindings')}
            >
              Bindings
            </button>
          </nav>
          {saved && (
            <div className="banner banner-ok" role="status" data-testid="kyc-saved">
              <span aria-hidden="true">✔</span> {saved.what}: binding <span className="mono">{saved.id}</span>
            </div>
          )}
          {tab === 'capture' ? (
            <CaptureWizard
              station={station}
              readers={snapshot?.readers ?? []}
              onOpenBinding={openBinding}
              onSaved={(b) => {
                setSaved({ id: b.id, what: 'Saved' });
                setRefresh((n) => n + 1);
                openBinding(b.id);
              }}
            />
          ) : (
            <div className="kyc-bindings-view">
              <BindingsList
                station={station}
                connection={connection}
                selected={open}
                onOpen={setOpen}
                refresh={refresh}
              />
              {open && (
                <BindingDetail
                  key={open}
                  station={station}
                  id={open}
                  refresh={refresh}
                  onClose={() => setOpen(null)}
                  onChanged={(b, what) => {
                    setSaved({ id: b.id, what });
                    setRefresh((n) => n + 1);
                    setOpen(b.id);
                  }}
                />
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
