/**
 * Type-level rules of the canvas: what a canvas returns, and which step may follow which. Limits: TypeScript
 * checks what it can see. A signature by name (`signature('remote.task')`), a task typed with `unknown[]`
 * parameters, or a dict built by hand is not checked; optional and rest parameters are taken as written.
 */
import type { Canvas } from './signature.js';

/** What a canvas returns. */
export type ResultOf<C> = C extends Canvas<infer R, infer _In> ? R : unknown;

/** The parameters a canvas still lacks. */
export type MissingOf<C> = C extends Canvas<infer _R, infer In> ? In : unknown[];

/** Every suffix of a parameter list: the arguments `task.s(...)` may be given. */
export type Suffixes<A extends unknown[]> = number extends A['length']
  ? unknown[]
  : A extends []
    ? []
    : A | (A extends [unknown?, ...infer T] ? Suffixes<T> : never);

/** The leading parameters left once the suffix `P` is given. */
export type Missing<A extends unknown[], P extends unknown[]> = number extends A['length']
  ? unknown[]
  : A extends [...infer Head, ...{ [K in keyof P]: unknown }]
    ? Head
    : unknown[];

/** The error a chain step that cannot take the previous result gets. */
export interface StepMismatch<Expected> {
  readonly 'chain step does not take the previous result as its first missing argument': Expected;
}

/** The parameters after the first. */
type Tail<M extends unknown[]> = M extends [unknown?, ...infer Rest] ? Rest : [];

/**
 * True when a signature lacking `M` can be called with `Prev` alone: it lacks a first parameter `Prev` fits, and
 * nothing after it is required.
 */
export type TakesFirst<M extends unknown[], Prev> = unknown[] extends M
  ? true
  : unknown extends Prev
    ? true
    : M extends []
      ? false
      : [Prev] extends [Required<M>[0]]
        ? [] extends Tail<M>
          ? true
          : false
        : false;

/** A step accepts `Prev` when it is unchecked, or takes `Prev` as its one missing argument. */
type Accepts<Step, Prev> = TakesFirst<MissingOf<Step>, Prev> extends true ? Step : Step & StepMismatch<Prev>;

/** The chain's steps, each checked against the one before. */
export type CheckedSteps<T extends readonly unknown[], Prev = never, First = true> = T extends readonly [
  infer H,
  ...infer Rest,
]
  ? [First extends true ? H : Accepts<H, Prev>, ...CheckedSteps<Rest, ResultOf<H>, false>]
  : T;

/** The last element of a tuple. */
export type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : T[number];
