/**
 * Loads the app module a command names: its `app` export, or its default export. A `.ts` module is loaded
 * through tsx when it is installed (as in a development checkout); in production, point at compiled JavaScript.
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from '../app.js';
import { ImproperlyConfigured } from '../errors.js';

async function registerTypeScript(modulePath: string): Promise<void> {
  try {
    const api = (await import('tsx/esm/api')) as { register: () => unknown };
    api.register();
  } catch (error) {
    throw new ImproperlyConfigured(
      `${modulePath} is TypeScript and tsx is not installed: compile it to JavaScript, or install tsx`,
      { setting: 'app', cause: error },
    );
  }
}

/** Imports `modulePath` and returns the {@link App} it exports. */
export async function loadApp(modulePath: string): Promise<App> {
  const absolute = path.resolve(modulePath);
  if (/\.[cm]?ts$/.test(absolute)) await registerTypeScript(modulePath);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ImproperlyConfigured(
      `Cannot load the app module ${modulePath}: ${error instanceof Error ? error.message : String(error)}`,
      { setting: 'app', cause: error },
    );
  }
  const candidate = module.app ?? module.default;
  if (!(candidate instanceof App)) {
    throw new ImproperlyConfigured(
      `${modulePath} must export the app as \`export const app = createApp(...)\` or as its default export`,
      { setting: 'app' },
    );
  }
  return candidate;
}
