/**
 * The OpenTelemetry API, loaded at first use. `@opentelemetry/api` is an optional peer dependency: when it is
 * not installed the import fails once, quietly, and every tracing hook is a no-op from then on.
 *
 * The specifier is not a literal, so a bundler (esbuild for the Lambda functions) leaves the import to run
 * time instead of failing the build when the package is absent. On Lambda the API must then be resolvable at
 * run time: from an OpenTelemetry layer (ADOT) or a module left out of the bundle.
 */
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module. */
export type Otel = typeof OtelApi;

const SPECIFIER = '@opentelemetry/api';

let loading: Promise<Otel | undefined> | undefined;
let loaded: Otel | undefined;

/** The OpenTelemetry API, or `undefined` when `@opentelemetry/api` is not installed. Imported once. */
export function loadOtel(): Promise<Otel | undefined> {
  loading ??= import(SPECIFIER).then(
    (module: Otel & { default?: Otel }) => {
      loaded = typeof module.trace === 'object' ? module : module.default;
      return loaded;
    },
    () => undefined,
  );
  return loading;
}

/** The API once {@link loadOtel} has loaded it; `undefined` before that or when it is not installed. */
export function loadedOtel(): Otel | undefined {
  return loaded;
}
