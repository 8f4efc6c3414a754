import { QrCode } from '../../components/QrCode';
import { StepHeading } from '../../components/StepHeading';
import { groupHex } from '../../hex';
import type { Handout } from './handout';

/** One share, alone on the screen, for its custodian to copy or photograph and check. */
export function ShareScreen({
  share,
  count,
  onNext,
}: {
  share: Handout['shares'][number];
  count: number;
  onNext: () => void;
}) {
  const i = share.index;
  return (
    <section className="panel share-screen" aria-labelledby="share-title" data-testid="recovery-share">
      <StepHeading id="share-title">
        Share {i} of {count}
      </StepHeading>
      <p className="step-meta">
        <span>
          Now: <strong>custodian {i}</strong> takes share {i}; nobody else reads the screen.
        </span>
        <span>Next: {i < count ? `custodian ${i + 1}` : 'closing the handout'}</span>
      </p>
      <div className="share-body">
        <QrCode text={share.share} label={`Share ${i} as a QR code`} size={220} />
        <dl className="share-facts">
          <dt>Share {i}</dt>
          <dd>
            <code className="share" data-testid="share-hex">
              {groupHex(share.share)}
            </code>
          </dd>
          <dt>Checksum</dt>
          <dd>
            <strong className="kcv kcv-large" data-testid="share-checksum">
              {share.checksum.toUpperCase()}
            </strong>
          </dd>
        </dl>
      </div>
      <p className="muted">
        Write the share and its checksum on your paper (or scan the code), then read the checksum back aloud.
      </p>
      <button type="button" className="primary" onClick={onNext}>
        Custodian {i} has taken share {i} — next
      </button>
    </section>
  );
}
