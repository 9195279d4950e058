import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll } from 'vitest';
import { S3PayloadStore } from '../../src/aws/s3-payload-store.js';
import { MemoryPayloadStore } from '../../src/memory/memory-payload-store.js';
import { uniqueName } from '../emulator/unique-name.js';
import { describePayloadStoreContract } from './payload-store.contract.js';

describePayloadStoreContract('memory', () => new MemoryPayloadStore('memory-payloads', 'celeriac/'));

const bucket = uniqueName('payload-contract');
const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true });
beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
describePayloadStoreContract(
  'S3 (moto server)',
  () => new S3PayloadStore(s3, { bucket, prefix: 'celeriac/' }),
);
