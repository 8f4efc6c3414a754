/**
 * Prometheus text exposition (format 0.0.4), hand-written: counters for batches, records by
 * status and refusals by code, and a histogram of request durations by route.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  private batches = 0;
  private records = new Map<string, number>();
  private refusals = new Map<string, number>();
  private durations = new Map<string, { buckets: number[]; sum: number; count: number }>();

  batch(counts: { applied: number; duplicate: number; rejected: number }): void {
    this.batches++;
    for (const [status, n] of Object.entries(counts))
      this.records.set(status, (this.records.get(status) ?? 0) + n);
  }

  refusal(code: string): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }

  duration(route: string, seconds: number): void {
    let h = this.durations.get(route);
    if (!h) this.durations.set(route, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  text(): string {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const out = [
      '# HELP obf_batches_total Batches applied (committed).',
      '# TYPE obf_batches_total counter',
      `obf_batches_total ${this.batches}`,
      '# HELP obf_records_total Records acknowledged, by status.',
      '# TYPE obf_records_total counter',
      ...['applied', 'duplicate', 'rejected'].map(
        (s) => `obf_records_total{status="${s}"} ${this.records.get(s) ?? 0}`,
      ),
      '# HELP obf_refusals_total Requests refused, by error code.',
      '# TYPE obf_refusals_total counter',
      ...[...this.refusals].map(([c, n]) => `obf_refusals_total{code="${esc(c)}"} ${n}`),
      '# HELP obf_request_duration_seconds Request durations, by route.',
      '# TYPE obf_request_duration_seconds histogram',
    ];
    for (const [route, h] of this.durations) {
      const r = esc(route);
      BUCKETS.forEach((b, i) =>
        out.push(`obf_request_duration_seconds_bucket{route="${r}",le="${b}"} ${h.buckets[i]}`),
      );
      out.push(`obf_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`);
      out.push(`obf_request_duration_seconds_sum{route="${r}"} ${h.sum}`);
      out.push(`obf_request_duration_seconds_count{route="${r}"} ${h.count}`);
    }
    return out.join('\n') + '\n';
  }
}
