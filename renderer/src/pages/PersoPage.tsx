import { useState } from 'react';
import type { Station } from '../api';
import { Alert } from '../components/Alert';
import { useKms } from '../use-kms';
import { useReaders } from '../use-readers';
import type { ConnectionState } from '../web-bridge';
import { BatchList } from './perso/BatchList';
import { BatchScreen } from './perso/BatchScreen';
import { OrderImport } from './perso/OrderImport';
import { useBatches, usePersoProgress } from './perso/use-perso';

/**
 * Personalisation: orders in, batches run on the readers, the line watched lane by lane. The
 * keys a run needs live in the KMS, so the page works on the unlocked station only.
 */
export function PersoPage({
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
  const { progress, setProgress, samples } = usePersoProgress(station, connection, unlocked);
  const { batches, error, reload } = useBatches(station, connection, unlocked, progress);
  const [chosen, setChosen] = useState<string | null>(null);
  const running =
    progress && (progress.state === 'running' || progress.state === 'paused') ? progress.batchId : null;
  // The batch on screen: the one chosen, else the one running, else the newest still to run,
  // else the newest.
  const newest = (list: typeof batches) =>
    list.reduce<(typeof batches)[number] | undefined>(
      (a, b) => (a && a.createdAt >= b.createdAt ? a : b),
      undefined,
    );
  const openId =
    chosen ??
    running ??
    (newest(batches.filter((b) => b.state === 'open' || b.state === 'paused')) ?? newest(batches))?.id ??
    null;
  const open = batches.find((b) => b.id === openId) ?? null;

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Personalisation</h2>
      {!status ? null : !unlocked ? (
        <div className="banner banner-info" role="status" data-testid="perso-locked">
          <p>
            <strong>The station is locked.</strong> Personalisation uses keys from the KMS: log in under Keys
            &amp; Ceremonies first.
          </p>
          <button type="button" onClick={onOpenKeys}>
            Go to Keys &amp; Ceremonies
          </button>
        </div>
      ) : (
        <>
          <div className="perso-top">
            <OrderImport
              station={station}
              onImported={(b) => {
                setChosen(b.id);
                reload();
              }}
            />
            <section className="panel" aria-labelledby="batches-title">
              <h3 id="batches-title">Batches</h3>
              <Alert text={error} />
              <BatchList batches={batches} selected={openId} running={running} onOpen={setChosen} />
            </section>
          </div>
          {open && (
            <BatchScreen
              key={open.id}
              station={station}
              batch={open}
              progress={progress}
              samples={samples}
              readers={snapshot?.readers ?? []}
              onProgress={(p) => {
                setProgress(p);
                reload();
              }}
            />
          )}
        </>
      )}
    </section>
  );
}
