import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { KycBindingView } from '../../../../core/api/index.js';
import { ApiError, type Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { CameraCapture } from './CameraCapture';
import { KycField } from './Field';
import { CustodianFields, custodianSpecs, DeviceFields, deviceSpecs } from './Fields';
import {
  base64Of,
  custodianInput,
  deviceKeys,
  emptyCustodian,
  evidenceOf,
  fieldErrors,
  formOfBinding,
  type DeviceForm,
  type Picture,
} from './form';
import { NoticeText, useNotice } from './Notice';
import { SignaturePad } from './SignaturePad';
import { useFieldChecks, type FieldChecks } from './use-field-checks';

/** The contract's rule for a reason, checked as typed. */
function reasonRule(value: string): string | null {
  const v = value.trim();
  if (v === '') return 'the reason is required';
  if (v.length > 512) return 'the reason is at most 512 characters';
  return null;
}

function ReasonField({
  value,
  onChange,
  checks,
}: {
  value: string;
  onChange: (v: string) => void;
  checks: FieldChecks;
}) {
  return (
    <KycField
      label="Reason"
      value={value}
      mono={false}
      autoFocus
      message={checks.messages.reason}
      onChange={onChange}
      onCommit={(v) => void checks.check({ path: 'reason', value: v, local: reasonRule(v) })}
    />
  );
}

/** Places a refused call's messages by field; the rest goes in the form's alert. */
function refused(err: unknown, checks: FieldChecks): string {
  const text = errorText(err);
  if (err instanceof ApiError && err.code === 'VALIDATION') {
    const byPath = fieldErrors(text);
    checks.place(byPath);
    return `Not saved: ${text}`;
  }
  return `Not saved: ${text}`;
}

function ActionForm({
  title,
  children,
  submit,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  submit: string;
  busy: boolean;
  error: string | null;
  onSubmit: () => void;
  onCancel: () => void;
}) {
  const id = useId();
  return (
    <form
      className="panel kyc-action"
      aria-labelledby={id}
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h4 id={id}>{title}</h4>
      {children}
      <Alert text={error} />
      <div className="row kyc-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : submit}
        </button>
      </div>
    </form>
  );
}

/**
 * A transfer: the previous custodian shown, the reason, the new custodian with their own photo
 * and their consent signed on the current notice. The old binding ends as `transferred`.
 */
export function TransferForm({
  station,
  binding,
  onDone,
  onCancel,
}: {
  station: Station;
  binding: KycBindingView;
  onDone: (b: KycBindingView) => void;
  onCancel: () => void;
}) {
  const checks = useFieldChecks(station);
  const { notice, error: noticeError } = useNotice(station);
  const [reason, setReason] = useState('');
  const [custodian, setCustodian] = useState(emptyCustodian);
  const [dealer, setDealer] = useState(binding.dealer);
  const [photo, setPhoto] = useState<Picture | null>(null);
  const [signature, setSignature] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    setError(null);
    const ok = await checks.checkAll([
      { path: 'reason', value: reason, local: reasonRule(reason) },
      ...custodianSpecs(custodian),
    ]);
    if (!ok) return setError('Not saved: correct the fields marked.');
    if (custodian.kind === 'individual' && !photo)
      return setError("Not saved: take the new custodian's photo (or upload one).");
    if (!signature || !notice) return setError('Not saved: the new custodian signs the notice in the box.');
    setBusy(true);
    try {
      const b = await station.call('kyc.transfer', {
        bindingId: binding.id,
        reason: reason.trim(),
        custodian: custodianInput(custodian),
        dealer: dealer.trim(),
        consent: { noticeVersion: notice.version, signaturePng: base64Of(signature) },
        evidence: evidenceOf({ photo, idFront: null }),
      });
      onDone(b);
    } catch (err) {
      setError(refused(err, checks));
    } finally {
      setBusy(false);
    }
  };

  const prev = binding.custodian;
  return (
    <ActionForm
      title="Transfer to a new custodian"
      submit="Save transfer"
      busy={busy}
      error={error}
      onSubmit={() => void submit()}
      onCancel={onCancel}
    >
      <p data-testid="previous-custodian">
        Previous custodian: <strong>{prev ? prev.name : '(personal data erased)'}</strong>
        {prev ? ` (${prev.kind}, ${prev.idDocument.display})` : ''}
      </p>
      <ReasonField value={reason} onChange={setReason} checks={checks} />
      <KycField label="Dealer / station" value={dealer} mono={false} onChange={setDealer} />
      <h5>New custodian</h5>
      <CustodianFields custodian={custodian} onChange={setCustodian} checks={checks} />
      <h5>New custodian photo</h5>
      <CameraCapture label="New custodian photo" value={photo} onChange={setPhoto} />
      <h5>New consent</h5>
      <NoticeText notice={notice} error={noticeError} purpose={binding.purpose} />
      <SignaturePad label="New custodian's signature" value={signature} onChange={setSignature} />
    </ActionForm>
  );
}

/**
 * A correction: the same custodian and consent, some fields changed, with a reason. The station
 * keeps the old version as `superseded` in the history. The ICCID does not change (another
 * device is another capture); the custodian's data is replaced whole when that box is ticked,
 * and an Aadhaar number is then typed again (the station never gives it back).
 */
export function CorrectForm({
  station,
  binding,
  onDone,
  onCancel,
}: {
  station: Station;
  binding: KycBindingView;
  onDone: (b: KycBindingView) => void;
  onCancel: () => void;
}) {
  const checks = useFieldChecks(station);
  const initial = formOfBinding(binding);
  const [reason, setReason] = useState('');
  const [device, setDevice] = useState<DeviceForm>(initial.device);
  const [withCustodian, setWithCustodian] = useState(false);
  const [custodian, setCustodian] = useState(initial.custodian);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editable = deviceKeys.filter((k) => k !== 'iccid');

  const submit = async () => {
    setError(null);
    const ok = await checks.checkAll([
      { path: 'reason', value: reason, local: reasonRule(reason) },
      ...deviceSpecs(device, editable),
      ...(withCustodian ? custodianSpecs(custodian) : []),
    ]);
    if (!ok) return setError('Not saved: correct the fields marked.');
    const changed: Record<string, string> = {};
    for (const k of editable) if (device[k].trim() !== '') changed[k] = device[k].trim();
    setBusy(true);
    try {
      const b = await station.call('kyc.correct', {
        bindingId: binding.id,
        reason: reason.trim(),
        device: changed,
        ...(withCustodian ? { custodian: custodianInput(custodian) } : {}),
      });
      onDone(b);
    } catch (err) {
      setError(refused(err, checks));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      title="Correct this binding"
      submit="Save correction"
      busy={busy}
      error={error}
      onSubmit={() => void submit()}
      onCancel={onCancel}
    >
      <ReasonField value={reason} onChange={setReason} checks={checks} />
      <p className="muted">
        ICCID <span className="mono">{binding.device.iccid}</span> stays: another device is a new capture.
      </p>
      <DeviceFields device={device} onChange={setDevice} checks={checks} keys={editable} />
      <label className="inline">
        <input type="checkbox" checked={withCustodian} onChange={(e) => setWithCustodian(e.target.checked)} />{' '}
        Correct the custodian&apos;s details too
      </label>
      {withCustodian && <CustodianFields custodian={custodian} onChange={setCustodian} checks={checks} />}
    </ActionForm>
  );
}

/** The custodian withdraws consent: a reason and their signature, as when they gave it. */
export function WithdrawForm({
  station,
  binding,
  onDone,
  onCancel,
}: {
  station: Station;
  binding: KycBindingView;
  onDone: (b: KycBindingView) => void;
  onCancel: () => void;
}) {
  const checks = useFieldChecks(station);
  const [reason, setReason] = useState('');
  const [signature, setSignature] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    setError(null);
    const ok = await checks.checkAll([{ path: 'reason', value: reason, local: reasonRule(reason) }]);
    if (!ok) return setError('Not saved: the reason is required.');
    if (!signature) return setError('Not saved: the custodian signs the withdrawal in the box.');
    setBusy(true);
    try {
      onDone(
        await station.call('kyc.withdraw', {
          bindingId: binding.id,
          reason: reason.trim(),
          signaturePng: base64Of(signature),
        }),
      );
    } catch (err) {
      setError(refused(err, checks));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      title="Withdraw consent"
      submit="Save withdrawal"
      busy={busy}
      error={error}
      onSubmit={() => void submit()}
      onCancel={onCancel}
    >
      <p>
        {binding.custodian?.name ?? 'The custodian'} withdraws the consent given on{' '}
        {new Date(binding.consent.at).toLocaleString()}. The binding ends; its record stays until its personal
        data is erased.
      </p>
      <ReasonField value={reason} onChange={setReason} checks={checks} />
      <SignaturePad label="Custodian's signature (withdrawal)" value={signature} onChange={setSignature} />
    </ActionForm>
  );
}
