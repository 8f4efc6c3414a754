import { useEffect, useState } from 'react';
import type { KycNoticeView, KycPurpose } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';

/** The current consent notice (kyc.notice), fetched once per screen that shows it. */
export function useNotice(station: Station) {
  const [notice, setNotice] = useState<KycNoticeView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    station.call('kyc.notice', {}).then(
      (n) => live && setNotice(n),
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [station]);
  return { notice, error };
}

/** The notice as the custodian reads it before signing: its paragraphs and how long data is kept. */
export function NoticeText({
  notice,
  error,
  purpose,
}: {
  notice: KycNoticeView | null;
  error: string | null;
  purpose: KycPurpose;
}) {
  if (error) return <Alert text={`The notice could not be loaded: ${error}`} />;
  if (!notice) return <p className="muted">Loading the notice…</p>;
  return (
    <article className="kyc-notice" aria-labelledby="kyc-notice-title" data-testid="kyc-notice">
      <h4 id="kyc-notice-title">{notice.title}</h4>
      {notice.paragraphs.map((p, i) => (
        <p key={i}>{p}</p>
      ))}
      <p>
        <strong>Kept for {notice.retentionDays[purpose]} days</strong> for this purpose.{' '}
        <span className="muted">
          Notice version {notice.version} ({notice.language})
        </span>
      </p>
    </article>
  );
}
