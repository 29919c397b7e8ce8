/** What the convolution-gradient kernel tests share: a case's shape, padding helpers, its dy shape and its label. */
import * as tf from '@tensorflow/tfjs-core';

export type Shape4 = [number, number, number, number];
export type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

/** One convolution: its NHWC input, HWIO filter, strides and padding. */
export interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

/** TF.js's explicit padding of an NHWC input. */
export const explicit = (top: number, bottom: number, left: number, right: number): Pad => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** How a failing case names itself. */
export const label = (c: ConvCase) => `x ${c.x} filter ${c.filter} stride ${c.strides} pad ${JSON.stringify(c.pad)}`;

/** The shape of the convolution's output, and so of its dy. */
export const dyShape = (c: ConvCase) =>
  tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape as unknown as Shape4;
