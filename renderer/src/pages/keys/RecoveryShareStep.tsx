import { useEffect, useState, type FormEvent } from 'react';
import { Alert } from '../../components/Alert';
import { MaskedInput } from '../../components/MaskedInput';
import { StepHeading } from '../../components/StepHeading';
import { compactHex, isHex, shareChecksum } from '../../hex';

/**
 * One custodian types their share, masked, and compares the checksum shown live with the one on
 * their paper. The typed share lives in this component until it is handed up on "next".
 */
export function RecoveryShareStep({
  index,
  count,
  onShare,
  onCancel,
}: {
  index: number;
  count: number;
  onShare: (share: string) => void;
  onCancel: () => void;
}) {
  const [share, setShare] = useState('');
  const [checksum, setChecksum] = useState<{ of: string; value: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    void shareChecksum(share).then((value) => {
      if (current) setChecksum({ of: share, value });
    });
    return () => {
      current = false;
    };
  }, [share]);
  const shown = checksum?.of === share ? checksum.value : null;
  const last = index === count;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const hex = compactHex(share);
    if (!isHex(hex)) {
      setError(`Share ${index}: type the hex digits of your share (pairs of 0-9 a-f; spaces are ignored).`);
      return;
    }
    setShare('');
    onShare(hex);
  };
  return (
    <form onSubmit={submit} className="panel medium" aria-labelledby="recovery-step-title">
      <StepHeading id="recovery-step-title">
        Share {index} of {count}
      </StepHeading>
      <p className="step-meta">
        <span>
          Now: <strong>custodian {index}</strong> types their share.
        </span>
        <span>Next: {last ? 'the station unlocks' : `custodian ${index + 1}`}</span>
      </p>
      <MaskedInput
        label={`Share ${index}`}
        value={share}
        onChange={setShare}
        mono
        hint="Hex from your paper; spaces and line breaks are ignored."
      />
      <p className="checksum" aria-live="polite" data-testid="recovery-checksum">
        Checksum:{' '}
        {shown ? (
          <strong className="kcv kcv-large">{shown.toUpperCase()}</strong>
        ) : (
          <span className="muted">appears when the share is complete hex</span>
        )}
        <span className="muted"> — compare it with the checksum on your paper.</span>
      </p>
      <Alert text={error} />
      <div className="row">
        <button type="submit" className="primary">
          {last ? `Unlock with ${count} shares` : 'Next custodian'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel recovery
        </button>
      </div>
    </form>
  );
}
