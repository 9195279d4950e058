/**
 * The YAML tags behind exact values (`exact-values.ts`), as the `yaml` library's custom tags:
 * - reading (exact mode): a float with an integral value (`5.0`, `1.0e+300`) becomes {@link PythonFloat}, a
 *   timestamp becomes {@link PythonDateTime} with Python's `isoformat()` text (microseconds, and an offset only
 *   when the text had one), a date becomes {@link CalendarDate};
 * - writing (always): those three go out as PyYAML's `safe_dump` writes a float, a datetime and a date.
 */
import type { ScalarTag, Tags } from 'yaml';
import { PythonDateTime, PythonFloat } from './exact-values.js';
import { yamlLibrary } from './optional-libraries.js';
import { pythonFloatRepr } from './python-json.js';
import { CalendarDate } from './type-tags.js';

const FLOAT_TAG = 'tag:yaml.org,2002:float';
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';
// YAML 1.1's timestamp (https://yaml.org/type/timestamp.html), as PyYAML's `timestamp_regexp` reads it.
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?(?:[ \t]*(Z|[-+]\d{1,2}(?::?\d{2})?))?)?$/;

const pad = (digits: string, width = 2): string => digits.padStart(width, '0');

/** A YAML timestamp as Python's `isoformat()` writes the value `safe_load` builds from it. */
function pythonTimestamp(text: string): PythonDateTime | CalendarDate | undefined {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return undefined;
  const [, year = '', month = '', day = '', hour, minute = '', second = '', fraction = '', zone] = match;
  const date = `${year}-${pad(month)}-${pad(day)}`;
  if (hour === undefined) return new CalendarDate(date);
  // PyYAML keeps six digits of the fraction, and isoformat() writes none for zero microseconds.
  const micros = fraction.slice(0, 6).padEnd(6, '0');
  let offset = '';
  if (zone === 'Z') offset = '+00:00';
  else if (zone) {
    const [, sign = '+', hours = '', minutes = '00'] = /^([-+])(\d{1,2}):?(\d{2})?$/.exec(zone) ?? [];
    offset = `${sign}${pad(hours)}:${minutes}`;
  }
  const time = `${pad(hour)}:${minute}:${second}${Number(micros) === 0 ? '' : `.${micros}`}`;
  return new PythonDateTime(`${date}T${time}${offset}`);
}

/** The exact-mode reading tags: the schema's float and timestamp tags, wrapped. */
export function exactReadTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || !('resolve' in tag) || 'collection' in tag) return tag;
    const scalar = tag as ScalarTag;
    if (scalar.tag === FLOAT_TAG) {
      const wrapped: ScalarTag = {
        ...scalar,
        resolve: (source, onError, options) => {
          const resolved = scalar.resolve(source, onError, options);
          const value = resolved instanceof yamlLibrary.get().Scalar ? resolved.value : resolved;
          return typeof value === 'number' && Number.isInteger(value) ? new PythonFloat(value) : resolved;
        },
      };
      return wrapped;
    }
    if (scalar.tag === TIMESTAMP_TAG) {
      const wrapped: ScalarTag = {
        ...scalar,
        resolve: (source, onError, options) =>
          pythonTimestamp(source) ?? scalar.resolve(source, onError, options),
      };
      return wrapped;
    }
    return tag;
  });
}

/** PyYAML's float text: `repr()` in lower case, with `.0` before an exponent that has no dot. */
function pyyamlFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  const repr = pythonFloatRepr(value).toLowerCase();
  return !repr.includes('.') && repr.includes('e') ? repr.replace('e', '.0e') : repr;
}

const WRITE_TAGS: readonly ScalarTag[] = [
  {
    identify: (value) => value instanceof PythonFloat,
    tag: FLOAT_TAG,
    default: true,
    resolve: (source) => Number(source),
    stringify: (item) => pyyamlFloat((item.value as PythonFloat).value),
  },
  {
    identify: (value) => value instanceof PythonDateTime,
    tag: TIMESTAMP_TAG,
    default: true,
    resolve: (source) => source,
    // PyYAML writes `isoformat(' ')`.
    stringify: (item) => (item.value as PythonDateTime).iso.replace('T', ' '),
  },
  {
    identify: (value) => value instanceof CalendarDate,
    tag: TIMESTAMP_TAG,
    default: true,
    resolve: (source) => source,
    stringify: (item) => (item.value as CalendarDate).iso,
  },
];

/** The writing tags: {@link PythonFloat}, {@link PythonDateTime} and {@link CalendarDate} before the schema's. */
export function exactWriteTags(tags: Tags): Tags {
  return [...WRITE_TAGS, ...tags];
}
