/**
 * Construct-prop validation: the error celeriac's constructs throw and the checks they share.
 *
 * Every message names the construct and its path, the prop, the value that was given and how to fix it, so a
 * failed `cdk synth` says what to change without a trip to the docs.
 */
import { type Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/*
 * The same brand as `CeleriacError` in src/protocol/errors.ts, so `isCeleriacError` recognises this error too.
 * infra/ may import only src/config/, which is why this class cannot extend `CeleriacError` directly.
 */
const BRAND = Symbol.for('celeriac.error');

/**
 * A celeriac construct was given a prop value that would fail at deploy time or silently break task
 * processing. Thrown from the construct's constructor (or a grant), during `cdk synth`.
 *
 * @example
 * try {
 *   new TaskQueue(stack, 'Jobs', { resultStore, worker: { entry }, maxReceiveCount: 0 });
 * } catch (error) {
 *   if (error instanceof CeleriacConfigurationError) console.error(error.prop, error.value);
 * }
 */
export class CeleriacConfigurationError extends Error {
  override readonly name = 'CeleriacConfigurationError';
  readonly [BRAND] = true;
  /** Path of the construct that refused the value, e.g. `Demo/Jobs`. */
  readonly constructPath: string;
  /** The prop at fault, e.g. `visibilityTimeout` or `worker.timeout`. */
  readonly prop: string;
  /** The offending value as the message shows it, e.g. `60 s` or `"my queue"`. */
  readonly value: string;

  constructor(kind: string, scope: IConstruct, prop: string, value: string, problem: string) {
    super(`${kind} ${scope.node.path}: \`${prop}\` (${value}) ${problem}`);
    this.constructPath = scope.node.path;
    this.prop = prop;
    this.value = value;
  }
}

/** Renders a duration for a message: seconds, plus CDK's human form above one minute (`90 s = 1 minute 30 seconds`). */
export function describeDuration(duration: Duration): string {
  if (duration.isUnresolved()) return duration.toString();
  const seconds = duration.toSeconds({ integral: false });
  return seconds > 60 ? `${seconds} s = ${duration.toHumanString()}` : `${seconds} s`;
}

/** Seconds in a duration, or `undefined` when it is a token whose value is only known at deploy time. */
export function secondsOf(duration: Duration | undefined): number | undefined {
  if (duration === undefined || duration.isUnresolved()) return undefined;
  return duration.toSeconds({ integral: false });
}

/** True when a number is known at synth time (not a token such as a CloudFormation parameter). */
function isKnown(value: number | undefined): value is number {
  return value !== undefined && !Token.isUnresolved(value);
}

/**
 * Checks the props of one construct. Values that are tokens (CloudFormation parameters, imports) cannot be
 * checked at synth time and are let through.
 */
export class PropValidator {
  constructor(
    private readonly kind: string,
    private readonly scope: IConstruct,
  ) {}

  /** Throws a {@link CeleriacConfigurationError} for `prop`. */
  fail(prop: string, value: string, problem: string): never {
    throw new CeleriacConfigurationError(this.kind, this.scope, prop, value, problem);
  }

  /** Requires a whole number in `[min, max]`; `reason` says what a value outside would break. */
  integerInRange(prop: string, value: number | undefined, min: number, max: number, reason: string): void {
    if (!isKnown(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(prop, String(value), `must be a whole number from ${min} to ${max}: ${reason}`);
    }
  }

  /** Requires a whole number of at least `min`; `reason` says what a smaller value would break. */
  integerAtLeast(prop: string, value: number | undefined, min: number, reason: string): void {
    if (!isKnown(value)) return;
    if (!Number.isInteger(value) || value < min) {
      this.fail(prop, String(value), `must be a whole number of at least ${min}: ${reason}`);
    }
  }

  /**
   * Requires `min <= duration <= max` (either bound optional), in whole `unit`s (seconds unless told
   * otherwise); `reason` says what a value outside would break.
   */
  durationInRange(
    prop: string,
    value: Duration | undefined,
    bounds: { readonly min?: Duration; readonly max?: Duration; readonly unit?: 'seconds' | 'days' },
    reason: string,
  ): void {
    const seconds = secondsOf(value);
    if (value === undefined || seconds === undefined) return;
    const unit = bounds.unit ?? 'seconds';
    const min = secondsOf(bounds.min);
    const max = secondsOf(bounds.max);
    const range =
      bounds.min !== undefined && bounds.max !== undefined
        ? `from ${describeDuration(bounds.min)} to ${describeDuration(bounds.max)}`
        : bounds.min !== undefined
          ? `at least ${describeDuration(bounds.min)}`
          : bounds.max !== undefined
            ? `at most ${describeDuration(bounds.max)}`
            : '';
    if (seconds % (unit === 'days' ? 86_400 : 1) !== 0) {
      this.fail(
        prop,
        describeDuration(value),
        `must be a whole number of ${unit}${range ? `, ${range}` : ''}: ${reason}`,
      );
    }
    if ((min !== undefined && seconds < min) || (max !== undefined && seconds > max)) {
      this.fail(prop, describeDuration(value), `must be ${range}: ${reason}`);
    }
  }
}
