/** What worker events say about the software and the machine (Celery's `SOFTWARE_INFO` and `load_average()`). */
import { loadavg, type as osType } from 'node:os';

/** celeriac's version; a unit test keeps it equal to package.json's. */
export const CELERIAC_VERSION = '0.1.0';

/** `sw_ident`, `sw_ver`, `sw_sys` of worker events. */
export function softwareInfo(): { sw_ident: string; sw_ver: string; sw_sys: string } {
  const system = osType();
  return {
    sw_ident: 'celeriac',
    sw_ver: CELERIAC_VERSION,
    sw_sys: system === 'Windows_NT' ? 'Windows' : system,
  };
}

/** The 1, 5 and 15 minute load averages, rounded to two places as Celery's `load_average()`. */
export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  const round = (value: number): number => Math.round(value * 100) / 100;
  return [round(one), round(five), round(fifteen)];
}
