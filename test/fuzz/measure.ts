/**
 * Timing for the linear-time properties: a run is timed against a baseline run on input of the same size, and
 * only the ratio is asserted, so a slow or busy machine cannot fail it. Each side is the fastest of a few
 * repetitions, which drops the pauses (garbage collection, another process) that make single timings noisy.
 */

/** The fastest of `repetitions` runs of `run`, in milliseconds. A run may throw: refusing counts as done. */
export function fastestMs(run: () => unknown, repetitions = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    try {
      run();
    } catch {
      // Refusing the input is an outcome too; its cost is what is measured.
    }
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/**
 * How many times slower `subject` is than `baseline`, each timed as the fastest of `repetitions` runs. The
 * baseline is floored at a quarter of a millisecond so that timer resolution cannot blow the ratio up.
 */
export function slowdown(subject: () => unknown, baseline: () => unknown, repetitions = 3): number {
  // Warm both paths up first, so the first measured run is not paying for compilation.
  fastestMs(baseline, 1);
  fastestMs(subject, 1);
  return fastestMs(subject, repetitions) / Math.max(fastestMs(baseline, repetitions), 0.25);
}
