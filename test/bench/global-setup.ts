/**
 * Vitest global setup for the `bench` project: fetches ElasticMQ from Maven Central once, before the bench files
 * (two at a time) start, so two Maven runs never fill the local Maven repository at once.
 */
import { ensureElasticMq } from '../../bench/fast-emulators.js';

export default async function setup(): Promise<void> {
  await ensureElasticMq();
}
