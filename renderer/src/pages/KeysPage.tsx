import { useState } from 'react';
import type { Station } from '../api';
import { useKms } from '../use-kms';
import type { ConnectionState } from '../web-bridge';
import type { Handout } from './keys/handout';
import { Login } from './keys/Login';
import { RecoveryUnlock } from './keys/RecoveryUnlock';
import { SetupWizard } from './keys/SetupWizard';
import { ShareHandout } from './keys/ShareHandout';
import { Workspace } from './keys/Workspace';

/** Keys & Ceremonies: which screen follows from the station's state (and a share handout in progress). */
export function KeysPage({ station, connection }: { station: Station; connection: ConnectionState }) {
  const [status] = useKms(station, connection);
  const [handout, setHandout] = useState<Handout | null>(null);
  const [recovering, setRecovering] = useState(false);
  const user = status?.user;
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Keys &amp; Ceremonies</h2>
      {handout ? (
        <ShareHandout handout={handout} onDone={() => setHandout(null)} />
      ) : !status ? null : status.state === 'unavailable' ? (
        <p className="muted">This host has no data folder for the station database.</p>
      ) : status.state === 'uninitialised' ? (
        <SetupWizard station={station} onShares={setHandout} />
      ) : status.state === 'locked' || !user ? (
        recovering ? (
          <RecoveryUnlock station={station} onClose={() => setRecovering(false)} />
        ) : (
          <Login station={station} onRecover={() => setRecovering(true)} />
        )
      ) : (
        <Workspace
          key={`${user.username}:${user.viaRecovery}`}
          station={station}
          status={{ ...status, user }}
          onShares={setHandout}
        />
      )}
    </section>
  );
}
