import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assemblyStacks, readStackOutputs, resolveCdkCommand } from '../../../src/local/cdk-deploy.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'celeriac-cdk-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveCdkCommand', () => {
  it("finds the project's own aws-cdk in node_modules/.bin, from a subdirectory too", () => {
    const bin = path.join(dir, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'cdk'), '');
    mkdirSync(path.join(dir, 'packages', 'infra'), { recursive: true });
    expect(resolveCdkCommand(path.join(dir, 'packages', 'infra'))).toEqual({
      command: path.join(bin, 'cdk'),
      args: [],
    });
  });

  it('falls back to npx aws-cdk@2 when no directory up the tree has it', () => {
    expect(resolveCdkCommand(dir)).toEqual({ command: 'npx', args: ['--yes', 'aws-cdk@2'] });
  });
});

describe('assemblyStacks and readStackOutputs', () => {
  it('list the stacks of a cloud assembly by construct id and CloudFormation name', () => {
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          Tree: { type: 'cdk:tree' },
          Shop: {
            type: 'aws:cloudformation:stack',
            displayName: 'Shop',
            properties: { stackName: 'shop-dev' },
          },
          Billing: { type: 'aws:cloudformation:stack', properties: {} },
        },
      }),
    );
    expect(assemblyStacks(dir)).toEqual([
      { id: 'Shop', stackName: 'shop-dev' },
      { id: 'Billing', stackName: 'Billing' },
    ]);
    expect(assemblyStacks(path.join(dir, 'missing'))).toEqual([]);
  });

  it('read string outputs per stack, and none from an app that has no outputs file', () => {
    const file = path.join(dir, 'outputs.json');
    writeFileSync(file, JSON.stringify({ Shop: { QueueUrl: 'http://q', Count: 3 } }));
    expect(readStackOutputs(file)).toEqual({ Shop: { QueueUrl: 'http://q' } });
    expect(readStackOutputs(path.join(dir, 'none.json'))).toEqual({});
  });
});
