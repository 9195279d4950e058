/**
 * The MiniStack release the local stack runs, and the versions of its Python dependencies. They are the pins of
 * this repository's `python/requirements.txt` (a unit test keeps the two equal), copied here because the
 * published package does not ship that file.
 */

/** The pinned MiniStack release. */
export const MINISTACK_VERSION = '1.5.33';

/**
 * pip constraints for MiniStack and every dependency it installs, so that the emulator in a user's cache is the
 * one this package was tested with. Dependencies that only older Pythons need (`exceptiongroup`, `tomli`, ...)
 * are left to pip.
 */
export const MINISTACK_CONSTRAINTS: readonly string[] = [
  `ministack==${MINISTACK_VERSION}`,
  'botocore==1.43.106',
  'defusedxml==0.7.1',
  'graphql-core==3.2.12',
  'h11==0.16.0',
  'h2==4.4.1',
  'hpack==4.2.0',
  'Hypercorn==0.18.0',
  'hyperframe==6.1.0',
  'jmespath==1.1.0',
  'jsonata-python==0.7.1',
  'priority==2.0.0',
  'python-dateutil==2.9.0.post0',
  'PyYAML==6.0.3',
  'six==1.17.0',
  'urllib3==2.8.0',
  'wsproto==1.3.2',
];
