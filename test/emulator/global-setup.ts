/**
 * Vitest global setup for every project that talks to an emulator: starts one moto server for the run and
 * hands its endpoint to the test workers, then stops it when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { startMotoServer } from './moto-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  project.provide('awsEndpoint', moto.endpoint);
  return async () => {
    await moto.stop();
  };
}
