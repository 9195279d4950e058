/** The canvas: signatures and the workflow primitives built from them. */
export { CanvasError } from './canvas-error.js';
export type { MissingOf, ResultOf } from './canvas-types.js';
export { Chain, chain } from './chain.js';
export { Chord, chord } from './chord.js';
export { Group, group } from './group.js';
export { chunks, MapSignature, registerMapTasks, xmap, xstarmap } from './map.js';
export { Canvas, type CanvasApplyOptions, Signature, signature } from './signature.js';
