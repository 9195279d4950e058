/**
 * Monitoring events from a worker function (docs/monitoring.md): the variables that turn the event sinks on and
 * the grant to put events on the bus.
 */
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../src/config/env.js';
import type { PropValidator } from './validation.js';

/** Where a worker function sends Celery's monitoring events. */
export interface WorkerEventsProps {
  /**
   * The EventBridge bus for the events: the worker gets `events:PutEvents` on it, `CELERIAC_EVENTS=eventbridge`
   * and `CELERIAC_EVENT_BUS`.
   *
   * @default - no bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Also write each event as a JSON line to the function's log group (`CELERIAC_EVENTS` includes `stdout`).
   *
   * @default false
   */
  readonly stdout?: boolean;
  /**
   * Send `task-sent` for the tasks the worker sends (retries, chain steps, callbacks), as Celery's
   * `task_send_sent_event`.
   *
   * @default false
   */
  readonly taskSentEvent?: boolean;
  /**
   * Time between heartbeats (the `worker-heartbeat` event and the worker registry record). Whole seconds, at
   * least 1 s.
   *
   * @default Duration.seconds(30)
   */
  readonly heartbeat?: Duration;
  /**
   * Write task counts, failures, retries, durations and queue waits as CloudWatch Embedded Metric Format log lines
   * (namespace `celeriac`, dimensions `task` and `queue`): metrics with no API call (`CELERIAC_EMF_METRICS`),
   * which `TaskQueue.metricTasks()` and its siblings read.
   *
   * @default false
   */
  readonly emfMetrics?: boolean;
}

/** Checks the props under `prop`. */
export function validateWorkerEvents(
  validate: PropValidator,
  prop: string,
  props: WorkerEventsProps | undefined,
) {
  validate.durationInRange(
    `${prop}.heartbeat`,
    props?.heartbeat,
    { min: Duration.seconds(1) },
    'workers read it as CELERIAC_HEARTBEAT_SECONDS.',
  );
}

/** Sets the worker's variables and grants it `events:PutEvents` on the bus. */
export function applyWorkerEvents(fn: lambda.Function, props: WorkerEventsProps | undefined): void {
  if (props === undefined) return;
  const sinks = [...(props.stdout ? ['stdout'] : []), ...(props.eventBus ? ['eventbridge'] : [])];
  if (sinks.length > 0) fn.addEnvironment(ENV.EVENTS, sinks.join(','));
  if (props.eventBus) {
    fn.addEnvironment(ENV.EVENT_BUS, props.eventBus.eventBusName);
    props.eventBus.grantPutEventsTo(fn);
  }
  if (props.taskSentEvent) fn.addEnvironment(ENV.TASK_SEND_SENT_EVENT, 'true');
  if (props.heartbeat) fn.addEnvironment(ENV.HEARTBEAT_SECONDS, String(props.heartbeat.toSeconds()));
  if (props.emfMetrics) fn.addEnvironment(ENV.EMF_METRICS, 'true');
}
