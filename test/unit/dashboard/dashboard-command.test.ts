/** `celeriac dashboard`'s refusals, before anything starts. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/usage-error.js';
import { dashboardCommand } from '../../../src/dashboard/dashboard-command.js';

describe('celeriac dashboard', () => {
  it('refuses an address beyond loopback without a token, saying how to make one', async () => {
    const refused = dashboardCommand(['--host', '0.0.0.0']);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(dashboardCommand(['--host', '0.0.0.0', '--token', 'short'])).rejects.toThrow(
      /--token with at least 16 characters/,
    );
  });

  it('refuses a port that is not one', async () => {
    await expect(dashboardCommand(['--port', 'http'])).rejects.toThrow(/--port to be a port number/);
    await expect(dashboardCommand(['--port', '70000'])).rejects.toThrow(/--port to be a port number/);
  });
});
