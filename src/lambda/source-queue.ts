/**
 * Which of the app's queues a Lambda record came from. The event names its queue by ARN; the app knows its
 * queues by URL (`queueUrls`), and a URL names the account and, on AWS, the region too. A queue of the same name
 * in another account or region is another queue: its record gets the URL SQS gives that queue, never the app's.
 */

/** `arn:aws:sqs:us-east-1:123456789012:jobs` → its queue name and the URL SQS gives it. */
export function queueFromArn(arn: string): { readonly name: string; readonly url: string } {
  const { name, url } = arnParts(arn);
  return { name, url };
}

/** What a queue ARN names. */
function arnParts(arn: string): { name: string; url: string; account: string; region: string } {
  const [, partition = 'aws', , region = 'us-east-1', account = '', name = ''] = arn.split(':');
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { name, account, region, url: `https://sqs.${region}.${domain}/${account}/${name}` };
}

const ACCOUNT = /^\d{12}$/;
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
/** `sqs.eu-west-1.amazonaws.com`, `sqs-fips.us-east-1.amazonaws.com`, `sqs.eu-west-1.localhost.localstack.cloud`. */
const SQS_HOST = new RegExp(`^sqs(?:-fips)?\\.(${REGION})\\.`);
/** The legacy `eu-west-1.queue.amazonaws.com`; a bare `queue.amazonaws.com` is us-east-1. */
const LEGACY_HOST = new RegExp(`^(${REGION})\\.queue\\.`);

/**
 * The queue name a URL ends with, and the account and region it names where it names them: an emulator's
 * `http://127.0.0.1:4566/000000000000/jobs` names no region, the in-memory transport's `memory://jobs` neither.
 */
export function queueUrlParts(url: string): { name: string; account?: string; region?: string } {
  const segments = url.split('/');
  const name = segments.at(-1) ?? '';
  const accountSegment = segments.at(-2) ?? '';
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    // Not a URL a host can be read from: the name is all it says.
  }
  const region =
    SQS_HOST.exec(host)?.[1] ??
    LEGACY_HOST.exec(host)?.[1] ??
    (host === 'queue.amazonaws.com' ? 'us-east-1' : undefined);
  return {
    name,
    ...(ACCOUNT.test(accountSegment) ? { account: accountSegment } : {}),
    ...(region === undefined ? {} : { region }),
  };
}

/**
 * A lookup of the queue an ARN names, over the app's `queueUrls` (each URL read once, not per record): the app's
 * own entry when one has the queue's name and names no other account or region, else the URL SQS gives the queue
 * and its own name.
 *
 * @example
 * const sourceQueue = sourceQueues({ default: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' });
 * sourceQueue('arn:aws:sqs:eu-west-1:123456789012:jobs')
 * // { url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs', name: 'default' }
 */
export function sourceQueues(
  queueUrls: Readonly<Record<string, string>>,
): (arn: string) => { readonly url: string; readonly name: string } {
  const configured = Object.entries(queueUrls).map(([celeryName, url]) => ({
    celeryName,
    url,
    ...queueUrlParts(url),
  }));
  return (arn) => sourceQueue(arn, configured);
}

function sourceQueue(
  arn: string,
  queues: readonly { celeryName: string; url: string; name: string; account?: string; region?: string }[],
): { readonly url: string; readonly name: string } {
  const source = arnParts(arn);
  for (const { celeryName, url: configured, name, account, region } of queues) {
    if (name !== source.name) continue;
    if (account !== undefined && account !== source.account) continue;
    if (region !== undefined && region !== source.region) continue;
    return { url: configured, name: celeryName };
  }
  return { url: source.url, name: source.name };
}
