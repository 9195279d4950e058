/**
 * `celeriac beat`'s options, refused before the app loads: a catch-up window that is not a plain number of
 * seconds from 0 to 7 days (an empty string was read as 0, a huge one made the first slot search run for minutes).
 */
import { describe, expect, it } from 'vitest';
import { beatCommand } from '../../../src/cli/beat-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';

describe('celeriac beat --catch-up', () => {
  it.each(['', 'soon', '-1', '1e3', '604801', 'Infinity'])('refuses %j, naming the range', async (value) => {
    const attempt = beatCommand(['--app', 'no-such-app.js', `--catch-up=${value}`]);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(
      `Expected --catch-up to be a number of seconds from 0 to 604800, got ${JSON.stringify(value)}`,
    );
  });
});
