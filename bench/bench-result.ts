/**
 * What every benchmark returns: its figures, and optionally the one ratio it is judged by
 * with the target that ratio must meet. Figures are plain numbers or short strings so a
 * runner can print them as a table or JSON without knowing the benchmark.
 */
export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  ratio?: {
    name: string;
    value: number;
    /** Human-readable target, e.g. `< 1`. */
    target: string;
    pass: boolean;
  };
}
