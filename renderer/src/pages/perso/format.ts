import type { BatchProgressView, BatchSummaryView } from '../../../../core/api/index.js';

export type LaneView = BatchProgressView['lanes'][number];

/** Cards finished either way: verified or rejected. */
export function finished(summary: BatchSummaryView): number {
  return summary.counts.verified + summary.counts.rejected;
}

export function remaining(summary: BatchSummaryView): number {
  return Math.max(0, summary.cardCount - finished(summary));
}

/** "1 h 04 min", "3 min 05 s", "42 s"; an em dash before the first card gives a rate. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(rest).padStart(2, '0')} s`;
  return `${rest} s`;
}

/** The names the operator reads for a card's KCVs; anything newer shows under its own name. */
export const kcvNames: Record<string, string> = { k: 'K', opc: 'OPc', issuerEnc: 'Issuer ENC' };

export const stepNames: Record<string, string> = {
  connect: 'Connecting',
  'open-scp03': 'Opening the secure channel',
  'put-key': 'Replacing the transport keys',
  'store-data': 'Storing the subscriber data',
  authenticate: 'Proving the keys (authenticate)',
  verified: 'Verified',
  rejected: 'Rejected',
  retry: 'Will retry',
};

export function stepText(step: string | null): string {
  return step === null ? '—' : (stepNames[step] ?? step);
}

export const batchStateText: Record<BatchSummaryView['state'], string> = {
  open: 'Open',
  paused: 'Paused',
  aborted: 'Aborted',
  done: 'Done',
};

export const runStateText: Record<BatchProgressView['state'], string> = {
  running: 'Running',
  paused: 'Paused',
  aborted: 'Aborted',
  done: 'Done',
  stopped: 'Stopped',
};
