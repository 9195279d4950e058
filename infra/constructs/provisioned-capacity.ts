/**
 * A `ResultStore` table on provisioned capacity: its props checked against DynamoDB's limits, and target-tracking
 * auto scaling on the table and its indexes.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { CapacityRange, ProvisionedCapacity } from './result-store-props.js';
import type { PropValidator } from './validation.js';

const DEFAULT_TARGET_UTILIZATION_PERCENT = 70;
/** DynamoDB's default quota of provisioned units per table (and per index), in each of reads and writes. */
const MAX_TABLE_CAPACITY_UNITS = 40_000;

/** Checks each capacity range and the target utilization. */
export function validateCapacity(validate: PropValidator, capacity: ProvisionedCapacity): void {
  for (const [name, range] of [
    ['writeUnits', capacity.writeUnits],
    ['readUnits', capacity.readUnits],
  ] as const) {
    const prop = `provisionedCapacity.${name}`;
    validate.integerInRange(
      `${prop}.min`,
      range.min,
      1,
      MAX_TABLE_CAPACITY_UNITS,
      'a provisioned table has at least one unit of each capacity.',
    );
    validate.integerInRange(
      `${prop}.max`,
      range.max,
      range.min,
      MAX_TABLE_CAPACITY_UNITS,
      `auto scaling keeps the capacity between \`min\` (${range.min}) and \`max\`, and DynamoDB's default ` +
        `quota is ${MAX_TABLE_CAPACITY_UNITS} units per table.`,
    );
  }
  validate.integerInRange(
    'provisionedCapacity.targetUtilizationPercent',
    capacity.targetUtilizationPercent,
    20,
    90,
    'the target tracking policy of DynamoDB auto scaling takes 20 to 90 percent.',
  );
}

/**
 * Target tracking on each capacity of the table and of `indexes` whose range is not fixed. With `min` equal to
 * `max` there is nothing to scale, and no scalable target is created.
 */
export function autoScale(
  table: dynamodb.Table,
  capacity: ProvisionedCapacity,
  indexes: readonly string[],
): void {
  const targetUtilizationPercent = capacity.targetUtilizationPercent ?? DEFAULT_TARGET_UTILIZATION_PERCENT;
  const scale = (
    range: CapacityRange,
    start: (props: dynamodb.EnableScalingProps) => dynamodb.IScalableTableAttribute,
  ) => {
    if (range.min === range.max) return;
    start({ minCapacity: range.min, maxCapacity: range.max }).scaleOnUtilization({
      targetUtilizationPercent,
    });
  };
  scale(capacity.writeUnits, (props) => table.autoScaleWriteCapacity(props));
  scale(capacity.readUnits, (props) => table.autoScaleReadCapacity(props));
  for (const index of indexes) {
    scale(capacity.writeUnits, (props) => table.autoScaleGlobalSecondaryIndexWriteCapacity(index, props));
    scale(capacity.readUnits, (props) => table.autoScaleGlobalSecondaryIndexReadCapacity(index, props));
  }
}
