/** The CloudWatch alarm every celeriac dead-letter queue gets. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * An alarm (child id `DeadLetterAlarm`) that fires when `queue` holds at least `threshold` visible messages: one
 * datapoint of the 1-minute maximum of `ApproximateNumberOfMessagesVisible`, missing data not breaching.
 */
export function deadLetterAlarm(
  scope: Construct,
  queue: sqs.IQueue,
  options: {
    readonly description: string;
    readonly threshold: number;
    readonly actions?: readonly cloudwatch.IAlarmAction[];
  },
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: options.description,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: options.threshold,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(...(options.actions ?? []));
  return alarm;
}
