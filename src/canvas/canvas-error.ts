/** A workflow that cannot be built or sent as given: an empty group, a cycle, a signature without a client. */
import { CeleriacError, type CeleriacErrorOptions } from '../errors.js';

/** A canvas (signature, chain, group, chord) was built or used wrongly; the message says how. */
export class CanvasError extends CeleriacError {
  override readonly name = 'CanvasError';
  /** The canvas form at fault: `signature`, `chain`, `group`, `chord`, `chunks`, `map`, `starmap`. */
  readonly form: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly form: string }) {
    super(message, options);
    this.form = options.form;
  }

  /** A group (or chord header, or chain) with no member. */
  static empty(form: string): CanvasError {
    return new CanvasError(`A ${form} needs at least one signature; got none`, { form });
  }

  /** A signature that contains itself. */
  static cycle(form: string): CanvasError {
    return new CanvasError(`A ${form} cannot contain itself (a cycle in the workflow)`, { form });
  }

  /** Sending a canvas none of whose signatures is bound to a client. */
  static unbound(form: string): CanvasError {
    return new CanvasError(
      `Cannot send this ${form}: none of its signatures is bound to a client; build them with task.s() or ` +
        "app.signature('name', ...), or pass { client } to applyAsync",
      { form },
    );
  }

  /** A part of the workflow that is not a signature. */
  static notSignature(form: string, value: unknown): CanvasError {
    return new CanvasError(`A ${form} takes signatures; got ${value === null ? 'null' : typeof value}`, {
      form,
    });
  }
}
