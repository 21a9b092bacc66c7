/*
 * Percentiles of a call site's durations. A report file does not hold every call: the first call
 * at a site is a line of its own, but repeats come as aggregates (count, total, max every 10 s).
 * An aggregate of one call is that call. An aggregate of n > 1 calls is taken as its longest call
 * (maxDurationMs) plus n − 1 calls at the mean of the others ((total − max) / (n − 1)): that keeps
 * the site's count, total and max exact, and the percentile is then an estimate. `exact` says
 * whether every call was known one by one.
 */

export class Durations {
  private values = new Float64Array(16);
  private weights = new Float64Array(16);
  private size = 0;
  /** false once an aggregate of more than one call was added. */
  exact = true;

  /** One line's calls: `count` calls that blocked `totalMs` in all, the longest `maxMs`. */
  addLine(count: number, totalMs: number, maxMs: number): void {
    if (count <= 1) {
      this.push(totalMs, 1);
      return;
    }
    this.exact = false;
    this.push(maxMs, 1);
    this.push(Math.max(0, (totalMs - maxMs) / (count - 1)), count - 1);
  }

  /** The nearest-rank q-quantile (0 < q ≤ 1): the smallest duration with at least q of the calls at or below it. */
  quantile(q: number): number | undefined {
    if (this.size === 0) return undefined;
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.values[a]! - this.values[b]!);
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.weights[i]!;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const i of order) {
      seen += this.weights[i]!;
      if (seen >= rank) return this.values[i]!;
    }
    return this.values[order[order.length - 1]!]!;
  }

  private push(value: number, weight: number): void {
    if (this.size === this.values.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.values = grow(this.values);
      this.weights = grow(this.weights);
    }
    this.values[this.size] = value;
    this.weights[this.size++] = weight;
  }
}
