import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { KycBindingView, KycDeviceCheck, ReaderInfo } from '../../../../core/api/index.js';
import { ApiError, type Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { CameraCapture } from './CameraCapture';
import { DeviceCheckPanel } from './DeviceCheck';
import { enterMovesOn, KycField } from './Field';
import { CustodianFields, custodianSpecs, DeviceFields, deviceSpecs } from './Fields';
import {
  custodianInput,
  deviceInput,
  deviceKeys,
  emptyForm,
  evidenceOf,
  fieldErrors,
  fromDraft,
  base64Of,
  purposeLabels,
  toDraft,
  type KycForm,
} from './form';
import { NoticeText, useNotice } from './Notice';
import { ReviewList } from './Review';
import { SignaturePad } from './SignaturePad';
import { Stepper } from './Stepper';
import { useFieldChecks } from './use-field-checks';

const steps = [
  { id: 'device', label: 'Device' },
  { id: 'custodian', label: 'Custodian' },
  { id: 'photo', label: 'Photo' },
  { id: 'consent', label: 'Notice & consent' },
  { id: 'review', label: 'Review & save' },
] as const;
type StepId = (typeof steps)[number]['id'];
const isStep = (s: string): s is StepId => steps.some((x) => x.id === s);

/** A draft is written this long after the last change (ms), and at once on a step change. */
const DRAFT_PAUSE_MS = 800;
/** The dealer name is not personal data: the station's browser remembers it between captures. */
const DEALER_KEY = 'obf.kyc.dealer';

function rememberedDealer(): string {
  try {
    return localStorage.getItem(DEALER_KEY) ?? '';
  } catch {
    return '';
  }
}

/** The step that holds a field path of a station message. */
function stepOfPath(path: string): StepId {
  if (path.startsWith('device') || path === 'dealer') return 'device';
  if (path.startsWith('custodian')) return 'custodian';
  if (path.startsWith('evidence')) return 'photo';
  if (path.startsWith('consent') || path === 'purpose') return 'consent';
  return 'review';
}

/**
 * A new binding, one step per screen (DESIGN §10): the device, then its custodian, a photo, the
 * notice signed on screen, one review page, save. Every step is a form whose Enter moves on;
 * Enter inside a field moves to the next field (a scanner ends its burst with Enter). The form
 * is kept as a sealed draft on the station (kyc.saveDraft) on every change, so a restart loses
 * nothing but an Aadhaar number (never kept in a draft).
 */
export function CaptureWizard({
  station,
  readers,
  onSaved,
  onOpenBinding,
}: {
  station: Station;
  readers: ReaderInfo[];
  onSaved: (binding: KycBindingView) => void;
  onOpenBinding: (id: string) => void;
}) {
  const [form, setForm] = useState<KycForm>(() => emptyForm(rememberedDealer()));
  const [step, setStep] = useState<StepId>('device');
  const [reached, setReached] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [draftNote, setDraftNote] = useState<string | null>(null);
  const [restored, setRestored] = useState<{ savedAt: string; aadhaarDropped: boolean } | null>(null);
  const [lookup, setLookup] = useState<KycDeviceCheck | null>(null);
  const [stepError, setStepError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const checks = useFieldChecks(station);
  const { notice, error: noticeError } = useNotice(station);

  const edit = useCallback((patch: Partial<KycForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setDirty(true);
  }, []);

  // A draft left by this user (before a restart, a reload, another screen) comes back first.
  useEffect(() => {
    let live = true;
    station.call('kyc.draft', {}).then(
      (d) => {
        if (!live) return;
        if (d) {
          setForm(fromDraft(d.draft, rememberedDealer()));
          const at = isStep(d.draft.step) ? d.draft.step : 'device';
          setStep(at);
          setReached(steps.findIndex((s) => s.id === at));
          setRestored({ savedAt: d.savedAt, aadhaarDropped: d.aadhaarDropped });
        }
        setLoaded(true);
      },
      (err: unknown) => {
        if (!live) return;
        setDraftNote(`The draft could not be read: ${errorText(err)}`);
        setLoaded(true);
      },
    );
    return () => {
      live = false;
    };
  }, [station]);

  // Kept as a draft on the station after each pause in typing and on each step change.
  const saveDraft = useCallback(
    (f: KycForm, at: StepId) =>
      station.call('kyc.saveDraft', { draft: toDraft(f, at) }).then(
        (r) => setDraftNote(`Draft saved at ${new Date(r.savedAt).toLocaleTimeString()}`),
        (err: unknown) => setDraftNote(`The draft was not saved: ${errorText(err)}`),
      ),
    [station],
  );
  // The change not yet written, so leaving the wizard (another tab, another page) writes it at once.
  const pending = useRef<{ form: KycForm; step: StepId } | null>(null);
  useEffect(() => {
    if (!loaded || !dirty || saving) {
      pending.current = null;
      return;
    }
    pending.current = { form, step };
    const timer = setTimeout(() => {
      // Cleared by a save or a discard since: the draft is gone on purpose.
      if (!pending.current) return;
      pending.current = null;
      void saveDraft(form, step);
    }, DRAFT_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [form, step, loaded, dirty, saving, saveDraft]);
  useEffect(
    () => () => {
      const last = pending.current;
      if (last)
        void station.call('kyc.saveDraft', { draft: toDraft(last.form, last.step) }).catch(() => undefined);
    },
    [station],
  );

  const go = (to: StepId) => {
    setStepError(null);
    setStep(to);
    const i = steps.findIndex((s) => s.id === to);
    setReached((r) => Math.max(r, i));
  };

  const lookUp = useCallback(
    (iccid: string) =>
      station.call('kyc.lookupDevice', { iccid }).then(
        (c) => {
          setLookup(c);
          return c;
        },
        (err: unknown) => {
          setLookup(null);
          checks.place(err instanceof ApiError ? { 'device.iccid': stripMethod(err.message) } : {});
          return null;
        },
      ),
    [station, checks],
  );

  // Each step's checks before the next one opens; false keeps the dealer here with the messages.
  const ready = async (at: StepId): Promise<boolean> => {
    switch (at) {
      case 'device': {
        const ok = await checks.checkAll(deviceSpecs(form.device, deviceKeys));
        const dealerOk = form.dealer.trim() !== '';
        if (!dealerOk) checks.place({ dealer: 'the dealer / station is required' });
        else checks.place({ dealer: '' });
        if (!ok || !dealerOk) return false;
        const c =
          lookup?.iccid === form.device.iccid.trim() ? lookup : await lookUp(form.device.iccid.trim());
        if (!c) return false;
        if (c.activeBinding) {
          checks.place({ 'device.iccid': c.message });
          return false;
        }
        try {
          localStorage.setItem(DEALER_KEY, form.dealer.trim());
        } catch {
          // a browser without storage only forgets the dealer's name
        }
        return true;
      }
      case 'custodian':
        return checks.checkAll(custodianSpecs(form.custodian));
      case 'photo':
        if (form.custodian.kind === 'individual' && !form.photo) {
          setStepError("Take the custodian's photo (or upload one): an individual's binding needs it.");
          return false;
        }
        return true;
      case 'consent':
        if (!notice) {
          setStepError('The notice is not loaded yet: the custodian signs the notice they read.');
          return false;
        }
        if (!form.signature) {
          setStepError('The custodian signs in the box: consent needs their signature.');
          return false;
        }
        if (form.noticeVersion !== notice.version) edit({ noticeVersion: notice.version });
        return true;
      case 'review':
        return true;
    }
  };

  const next = async (e: FormEvent) => {
    e.preventDefault();
    setStepError(null);
    const i = steps.findIndex((s) => s.id === step);
    if (!(await ready(step))) return;
    if (step === 'review') return save();
    const to = steps[i + 1]!.id;
    go(to);
  };

  const back = () => go(steps[Math.max(0, steps.findIndex((s) => s.id === step) - 1)]!.id);

  const save = async () => {
    setSaving(true);
    setStepError(null);
    // The capture discards the draft on the station: nothing typed before it may write one back
    // (a pending pause, or the flush as the wizard closes on the saved binding).
    pending.current = null;
    try {
      const binding = await station.call('kyc.capture', {
        device: deviceInput(form.device),
        custodian: custodianInput(form.custodian),
        purpose: form.purpose,
        dealer: form.dealer.trim(),
        consent: {
          noticeVersion: notice?.version ?? form.noticeVersion,
          signaturePng: base64Of(form.signature ?? ''),
        },
        evidence: evidenceOf(form),
        fromDraft: true,
      });
      checks.reset();
      setForm(emptyForm(form.dealer));
      setDirty(false);
      setLookup(null);
      setRestored(null);
      setDraftNote(null);
      setReached(0);
      setStep('device');
      onSaved(binding);
    } catch (err) {
      const text = errorText(err);
      if (err instanceof ApiError && err.code === 'VALIDATION') {
        const byPath = fieldErrors(text);
        checks.place(byPath);
        const first = Object.keys(byPath).find((p) => p !== '');
        setStepError(
          first
            ? `Not saved: ${Object.keys(byPath).filter(Boolean).length} field(s) to correct. ${text}`
            : `Not saved: ${text}`,
        );
        if (first) setStep(stepOfPath(first));
      } else setStepError(`Not saved: ${text}`);
    } finally {
      setSaving(false);
    }
  };

  const discard = () => {
    pending.current = null;
    station.call('kyc.discardDraft', {}).then(
      () => {
        checks.reset();
        setForm(emptyForm(form.dealer));
        setDirty(false);
        setLookup(null);
        setRestored(null);
        setReached(0);
        setStep('device');
        setDraftNote('Draft discarded');
      },
      (err: unknown) => setDraftNote(`The draft was not discarded: ${errorText(err)}`),
    );
  };

  const at = steps.findIndex((s) => s.id === step);
  const titleId = useId();
  const withCard = readers.filter((r) => r.state === 'present');

  return (
    <section className="kyc-wizard" aria-labelledby={titleId}>
      <div className="kyc-wizard-head">
        <h3 id={titleId} className="visually-hidden">
          New binding
        </h3>
        <Stepper steps={steps} current={step} reached={reached} onOpen={go} />
        <div className="kyc-draft">
          <span role="status" data-testid="draft-state" className="muted">
            {draftNote ?? (loaded ? 'No draft yet' : 'Reading the draft…')}
          </span>
          <button type="button" onClick={discard}>
            Discard draft
          </button>
        </div>
      </div>
      {restored && (
        <div className="banner banner-info" role="status" data-testid="draft-restored">
          <span aria-hidden="true">↺</span> Draft restored (saved{' '}
          {new Date(restored.savedAt).toLocaleString()}).
          {restored.aadhaarDropped && ' Type the Aadhaar number again: drafts never keep it.'}
        </div>
      )}
      {!loaded ? null : (
        <form key={step} className="panel kyc-step-panel" onSubmit={(e) => void next(e)} noValidate>
          {/* A plain heading: the step's first field takes the focus, not the heading (keyboard first). */}
          <h3 id={`kyc-step-${step}`}>
            Step {at + 1} of {steps.length}: {steps[at]!.label}
          </h3>
          {step === 'device' && (
            <>
              <ReadCard
                station={station}
                readers={withCard}
                onRead={(r) => {
                  edit({ device: { ...form.device, iccid: r.iccid, eid: r.eid ?? form.device.eid } });
                  setLookup(r.check);
                  checks.place({ 'device.iccid': '', 'device.eid': '' });
                }}
              />
              <DeviceFields
                device={form.device}
                onChange={(device) => {
                  if (device.iccid !== form.device.iccid) setLookup(null);
                  edit({ device });
                }}
                checks={checks}
                keys={deviceKeys}
                autoFocusFirst
                onIccidChecked={(iccid) => void lookUp(iccid)}
              />
              {lookup && <DeviceCheckPanel check={lookup} onOpenBinding={onOpenBinding} />}
              <KycField
                label="Dealer / station"
                value={form.dealer}
                mono={false}
                message={checks.messages.dealer}
                onChange={(dealer) => edit({ dealer })}
              />
            </>
          )}
          {step === 'custodian' && (
            <CustodianFields
              custodian={form.custodian}
              onChange={(custodian) => edit({ custodian })}
              checks={checks}
              autoFocusFirst
              aadhaarDropped={restored?.aadhaarDropped}
            />
          )}
          {step === 'photo' && (
            <div className="kyc-photos">
              <div>
                <h4>Custodian photo</h4>
                <CameraCapture
                  label="Custodian photo"
                  value={form.photo}
                  onChange={(photo) => edit({ photo })}
                />
              </div>
              <div>
                <h4>ID document (optional)</h4>
                <CameraCapture
                  label="ID document"
                  camera={false}
                  value={form.idFront}
                  onChange={(idFront) => edit({ idFront })}
                />
              </div>
            </div>
          )}
          {step === 'consent' && (
            <>
              <PurposeSelect value={form.purpose} onChange={(purpose) => edit({ purpose })} />
              <NoticeText notice={notice} error={noticeError} purpose={form.purpose} />
              <SignaturePad
                label="Custodian's signature"
                value={form.signature}
                onChange={(signature) => edit({ signature, noticeVersion: notice?.version ?? '' })}
              />
            </>
          )}
          {step === 'review' && <ReviewList form={form} lookup={lookup} onEdit={go} />}
          <Alert text={stepError} />
          <div className="row kyc-actions">
            {at > 0 && (
              <button type="button" onClick={back}>
                Back
              </button>
            )}
            <button type="submit" className="primary" disabled={saving}>
              {step === 'review' ? (saving ? 'Saving…' : 'Save binding') : 'Next'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function stripMethod(message: string): string {
  return message.replace(/^kyc\.\w+: (?:iccid: )?/, '');
}

function PurposeSelect({
  value,
  onChange,
}: {
  value: KycForm['purpose'];
  onChange: (p: KycForm['purpose']) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Purpose</label>
      <select
        id={id}
        value={value}
        autoFocus
        onKeyDown={enterMovesOn}
        onChange={(e) => onChange(e.target.value as KycForm['purpose'])}
      >
        {Object.entries(purposeLabels).map(([k, label]) => (
          <option key={k} value={k}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The device's SE in a reader: its ICCID (and EID) read and checked in one go. */
function ReadCard({
  station,
  readers,
  onRead,
}: {
  station: Station;
  readers: ReaderInfo[];
  onRead: (r: { iccid: string; eid: string | null; check: KycDeviceCheck }) => void;
}) {
  const id = useId();
  const [reader, setReader] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = readers.some((r) => r.name === reader) ? reader : (readers[0]?.name ?? '');
  const read = () => {
    setBusy(true);
    setError(null);
    station.call('kyc.readCard', { reader: chosen }).then(
      (r) => {
        setBusy(false);
        onRead(r);
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <fieldset className="kyc-readcard">
      <legend>Read the device&apos;s SE</legend>
      {readers.length === 0 ? (
        <p className="muted" data-testid="no-card">
          No reader holds a card: insert the SE, or type or scan the ICCID below.
        </p>
      ) : (
        <div className="row">
          <label htmlFor={id}>Reader</label>
          <select id={id} value={chosen} onChange={(e) => setReader(e.target.value)}>
            {readers.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
          <button type="button" onClick={read} disabled={busy || !chosen}>
            {busy ? 'Reading…' : 'Read card'}
          </button>
        </div>
      )}
      <Alert text={error} />
    </fieldset>
  );
}
