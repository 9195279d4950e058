/**
 * Every name the docs import from the package is exported by the entry point they import it from, so an example
 * copied from the docs does not fail at its first line. Type-only names are left to the compiler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');

/** The package's entry points (package.json `exports`) and the source files they are built from. */
const ENTRY_SOURCES: Record<string, string> = {
  celeriac: 'src/index.ts',
  'celeriac/protocol': 'src/protocol/index.ts',
  'celeriac/lambda': 'src/lambda/index.ts',
  'celeriac/testing': 'src/testing/index.ts',
  'celeriac/worker': 'src/worker/index.ts',
  'celeriac/cdk': 'infra/index.ts',
};

const docs = [
  'README.md',
  'templates/app/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** Each `import { ... } from 'celeriac...'` of a doc: the specifier and the value (not type-only) names. */
function importsOf(text: string): { specifier: string; names: string[] }[] {
  return [...text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(celeriac[^']*)'/g)].flatMap((match) => {
    if (match[1]) return [];
    const names = (match[2] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '' && !name.startsWith('type '))
      .map((name) => name.split(/\s+as\s+/)[0] ?? name);
    return [{ specifier: match[3] ?? '', names }];
  });
}

describe('the docs import what the package exports', () => {
  it('finds the imports it checks', () => {
    const all = docs.flatMap((doc) => importsOf(readFileSync(path.join(root, doc), 'utf8')));
    expect(all.some(({ specifier }) => specifier === 'celeriac')).toBe(true);
  });

  it.each(docs)('%s', async (doc) => {
    for (const { specifier, names } of importsOf(readFileSync(path.join(root, doc), 'utf8'))) {
      const source = ENTRY_SOURCES[specifier];
      expect(
        source,
        `${doc} imports from ${specifier}, which is not one of the package's entry points`,
      ).toBeDefined();
      const exported = (await import(path.join(root, source ?? ''))) as Record<string, unknown>;
      for (const name of names) {
        expect(exported[name], `${doc}: ${name} is not exported by ${specifier} (${source})`).toBeDefined();
      }
    }
  });
});
