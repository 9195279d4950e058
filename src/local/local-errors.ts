/** The errors of the local stack: installing or starting the emulator, and the CDK CLI runs against it. */
import { CeleriacError, type CeleriacErrorOptions } from '../errors.js';

/** The emulator could not be installed, started or reached; the message says what to do. */
export class EmulatorError extends CeleriacError {
  override readonly name = 'EmulatorError';
  /** The endpoint concerned, when there is one. */
  readonly endpoint: string | undefined;

  constructor(message: string, options: CeleriacErrorOptions & { readonly endpoint?: string } = {}) {
    super(message, options);
    this.endpoint = options.endpoint;
  }
}

/** A CDK CLI run that exited with an error. */
export class CdkCommandError extends CeleriacError {
  override readonly name = 'CdkCommandError';
  /** The command line that failed. */
  readonly command: string;
  /** Its exit code, or the signal that ended it. */
  readonly exit: number | string;
  /** The last lines it printed. */
  readonly outputTail: string;

  constructor(
    message: string,
    options: CeleriacErrorOptions & {
      readonly command: string;
      readonly exit: number | string;
      readonly outputTail: string;
    },
  ) {
    super(message, options);
    this.command = options.command;
    this.exit = options.exit;
    this.outputTail = options.outputTail;
  }

  /** ``\`cdk deploy ...\` failed (1). Its last lines: ... The whole output is in <logFile>.``. */
  static failed(
    command: string,
    exit: number | string,
    outputTail: string,
    logFile: string,
  ): CdkCommandError {
    const message = `\`${command}\` failed (${exit}). Its last lines:\n${outputTail}\n\nThe whole output is in ${logFile}.`;
    return new CdkCommandError(message, {
      command,
      exit,
      outputTail,
    });
  }
}
