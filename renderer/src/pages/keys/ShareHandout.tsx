import { useState } from 'react';
import { StepHeading } from '../../components/StepHeading';
import type { Handout } from './handout';
import { ShareScreen } from './ShareScreen';

/**
 * Hands the recovery shares out one per screen, one custodian at a time: the screen of share i
 * replaces share i-1 entirely (its own keyed component), and the last step says where they are
 * kept: nowhere.
 */
export function ShareHandout({ handout, onDone }: { handout: Handout; onDone: () => void }) {
  const [step, setStep] = useState(0);
  const count = handout.shares.length;
  const share = handout.shares[step];
  if (share)
    return <ShareScreen key={share.index} share={share} count={count} onNext={() => setStep((s) => s + 1)} />;
  return (
    <section className="panel" aria-labelledby="handout-done-title">
      <StepHeading id="handout-done-title">
        {handout.title}: all {count} shares handed out
      </StepHeading>
      <p>
        <strong>The shares are stored nowhere</strong>: not on this station, not in its database, not in any
        log. Each custodian keeps theirs apart from the others. Any {handout.threshold} of the {count}{' '}
        together recover the station if every passphrase is lost; fewer reveal nothing.
      </p>
      <p className="muted">
        Ceremony transcript hash: <code>{handout.transcriptSha256}</code>
      </p>
      <button type="button" className="primary" onClick={onDone}>
        Every share is handed out
      </button>
    </section>
  );
}
