import type { RateSample } from './use-perso';

const W = 600;
const H = 120;

/** Cards per minute over the run, drawn as SVG (nothing for the CSP to allow); its label says it in words. */
export function ThroughputChart({ samples }: { samples: RateSample[] }) {
  const now = samples.at(-1)?.rate ?? 0;
  const peak = Math.max(0, ...samples.map((s) => s.rate));
  const label = `Throughput over the run: ${now} cards/min now, peak ${peak} cards/min`;
  if (samples.length < 2) {
    return (
      <p className="muted chart-empty" data-testid="throughput-chart">
        The throughput chart starts with the first cards.
      </p>
    );
  }
  const span = Math.max(1, samples.at(-1)!.seconds - samples[0]!.seconds);
  const top = Math.max(1, peak * 1.1);
  const points = samples
    .map((s) => {
      const x = ((s.seconds - samples[0]!.seconds) / span) * W;
      const y = H - (s.rate / top) * H;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <figure className="chart" data-testid="throughput-chart">
      <svg role="img" aria-label={label} viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none">
        <line x1={0} y1={H} x2={W} y2={H} className="chart-axis" />
        <polyline points={points} className="chart-line" fill="none" />
      </svg>
      <figcaption className="muted">
        Cards/min over the run · now {now} · peak {peak}
      </figcaption>
    </figure>
  );
}
