import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINISTACK_CONSTRAINTS, MINISTACK_VERSION } from '../../../src/local/ministack-pins.js';

const root = path.resolve(import.meta.dirname, '../../..');
/** `name==version` pins of python/requirements.txt, by normalised name (PEP 503). */
const pins = new Map(
  readFileSync(path.join(root, 'python/requirements.txt'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Za-z0-9_.-]+)==(\S+)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [(match[1] ?? '').toLowerCase().replace(/[-_.]+/g, '-'), match[2] ?? '']),
);

describe('the MiniStack pins the package installs', () => {
  it('are the MiniStack version python/requirements.txt pins', () => {
    expect(MINISTACK_VERSION).toBe(pins.get('ministack'));
  });

  it("pin each of MiniStack's dependencies to the version python/requirements.txt pins", () => {
    expect(MINISTACK_CONSTRAINTS.length).toBeGreaterThan(1);
    for (const constraint of MINISTACK_CONSTRAINTS) {
      const [name = '', version] = constraint.split('==');
      expect(`${name}==${pins.get(name.toLowerCase().replace(/[-_.]+/g, '-'))}`).toBe(`${name}==${version}`);
    }
  });
});
