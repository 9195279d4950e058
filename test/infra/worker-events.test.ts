/** TaskQueue worker `events`: the variables that turn the sinks on, the PutEvents grant, validation, cdk-nag. */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CeleriacConfigurationError, ResultStore, TaskQueue } from '../../infra/index.js';
import { ENV } from '../../src/config/env.js';
import { allowedPairs, environmentOf, logicalIdOf, newStack, WORKER_ENTRY } from './helpers.js';

function queueWith(worker: Partial<ConstructorParameters<typeof TaskQueue>[2]['worker']>) {
  const stack = newStack();
  const bus = new events.EventBus(stack, 'Bus');
  const results = new ResultStore(stack, 'Results', { taskIndex: true });
  const queue = new TaskQueue(stack, 'Tasks', {
    resultStore: results,
    worker: { entry: WORKER_ENTRY, ...worker },
  });
  return { stack, bus, queue };
}

describe('TaskQueue worker events', () => {
  it('sets no event variable and grants nothing on a bus by default', () => {
    const { stack, queue } = queueWith({});
    const env = environmentOf(Template.fromStack(stack), logicalIdOf(queue.workerFunction));
    expect(Object.keys(env).filter((name) => name.includes('EVENT'))).toEqual([]);
  });

  it('sends to the bus and the log group, with task-sent and the heartbeat, and may put events on that bus only', () => {
    const stack = newStack();
    const bus = new events.EventBus(stack, 'Bus');
    const results = new ResultStore(stack, 'Results');
    const queue = new TaskQueue(stack, 'Tasks', {
      resultStore: results,
      worker: {
        entry: WORKER_ENTRY,
        events: {
          eventBus: bus,
          stdout: true,
          taskSentEvent: true,
          heartbeat: Duration.seconds(60),
          emfMetrics: true,
        },
      },
    });
    const template = Template.fromStack(stack);
    expect(environmentOf(template, logicalIdOf(queue.workerFunction))).toMatchObject({
      [ENV.EVENTS]: 'stdout,eventbridge',
      [ENV.EVENT_BUS]: `<Ref:${logicalIdOf(bus)}>`,
      [ENV.TASK_SEND_SENT_EVENT]: 'true',
      [ENV.HEARTBEAT_SECONDS]: '60',
      [ENV.EMF_METRICS]: 'true',
    });
    const role = queue.workerFunction.role;
    if (!role) throw new Error('no role');
    const putEvents = allowedPairs(template, logicalIdOf(role)).filter((pair) => pair.startsWith('events:'));
    expect(putEvents).toEqual([`events:PutEvents on ${JSON.stringify(stack.resolve(bus.eventBusArn))}`]);
  });

  it('refuses a heartbeat of less than a second, naming the prop', () => {
    expect(() => queueWith({ events: { heartbeat: Duration.millis(500) } })).toThrow(
      CeleriacConfigurationError,
    );
    expect(() => queueWith({ events: { heartbeat: Duration.millis(500) } })).toThrow(
      /worker\.events\.heartbeat/,
    );
  });

  it('passes the cdk-nag AwsSolutions checks with events on', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Events');
    const bus = new events.EventBus(stack, 'Bus');
    const results = new ResultStore(stack, 'Results', { taskIndex: true });
    new TaskQueue(stack, 'Tasks', {
      resultStore: results,
      worker: { entry: WORKER_ENTRY, events: { eventBus: bus, stdout: true } },
    });
    expect(
      new AwsSolutionsChecks().validateScope(app).violations.map((violation) => violation.ruleName),
    ).toEqual([]);
  });
});
