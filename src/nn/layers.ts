/**
 * Basic layers with PyTorch's parameter names, shapes and default initialisation.
 */
import * as ops from '../tensor/ops.js';
import type { UniformSource } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** U(-bound, bound) into a new tensor. */
export function uniform(shape: number[], bound: number, rng: UniformSource): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = (rng.nextFloat() * 2 - 1) * bound;
  return t;
}

/** N(0, 1) by Box-Muller (torch.nn.Embedding's default init). */
export function normal(shape: number[], rng: UniformSource): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) {
    const u = Math.max(rng.nextFloat(), 1e-12), v = rng.nextFloat();
    t.data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return t;
}

/**
 * y = x W^T + b; x [rows, in] -> [rows, out]. weight [out, in], bias [out].
 * Init as torch.nn.Linear: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(in)) for both.
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: UniformSource, bias = true) {
    super();
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.param('weight', uniform([outFeatures, inFeatures], bound, rng));
    this.bias = bias ? this.param('bias', uniform([outFeatures], bound, rng)) : null;
  }
  /**
   * With `residual` [rows, out], (x W^T + b) + residual; with `relu`, relu of the result:
   * one op (ops.linear adds the residual and takes the relu in the product's store).
   */
  forward(x: Tensor, relu = false, residual: Tensor | null = null): Tensor {
    if (x.cols !== this.inFeatures) {
      throw new Error(`Linear: input [${x.shape.join(', ')}] has ${x.cols} features, expected ${this.inFeatures}`);
    }
    return ops.linear(x, this.weight, this.bias, relu, residual);
  }
}

/** Lookup table weight [num, dim]; ids [n] -> [n, dim]. Init N(0,1) as torch.nn.Embedding. */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly num: number, readonly dim: number, rng: UniformSource) {
    super();
    this.weight = this.param('weight', normal([num, dim], rng));
  }
  /** Xavier-uniform re-initialisation (OGB's atom/bond encoders). */
  xavierUniform(rng: UniformSource): this {
    const bound = Math.sqrt(6 / (this.num + this.dim));
    this.weight.data.set(uniform([this.num, this.dim], bound, rng).data);
    return this;
  }
  forward(ids: Int32Array): Tensor {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= this.num) {
        throw new Error(`Embedding: id ${ids[i]} at position ${i} is outside the vocabulary of ${this.num}`);
      }
    }
    return ops.embedding(this.weight, ids);
  }
}

/**
 * torch.nn.BatchNorm1d over rows of [rows, C]: weight 1, bias 0, running_mean 0,
 * running_var 1, num_batches_tracked 0 (int64 in the state dict).
 */
export class BatchNorm1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  constructor(readonly channels: number, readonly eps = 1e-5, readonly momentum = 0.1) {
    super();
    this.weight = this.param('weight', new Tensor(new Float32Array(channels).fill(1), [channels]));
    this.bias = this.param('bias', Tensor.zeros([channels]));
    this.runningMean = this.buffer('running_mean', Tensor.zeros([channels]));
    this.runningVar = this.buffer('running_var', new Tensor(new Float32Array(channels).fill(1), [channels]));
    this.numBatchesTracked = this.buffer('num_batches_tracked', Tensor.zeros([]), true);
  }
  /** With `addend` (x's shape), addend + BN(x) as one op (ops.batchNorm adds it in the store). */
  forward(x: Tensor, addend: Tensor | null = null): Tensor {
    if (this.training) this.numBatchesTracked.data[0] += 1;
    return ops.batchNorm(x, this.weight, this.bias, {
      runningMean: this.runningMean.storage, runningVar: this.runningVar.storage, momentum: this.momentum, eps: this.eps,
    }, this.training, addend);
  }
}

/** PyG's graph BatchNorm: a BatchNorm1d stored as `.module` (keys `norm1.module.weight`). */
export class GraphBatchNorm extends Module {
  readonly module: BatchNorm1d;
  constructor(channels: number) {
    super();
    this.module = this.child('module', new BatchNorm1d(channels));
  }
  /** With `addend`, addend + BN(x) in one op. */
  forward(x: Tensor, addend: Tensor | null = null): Tensor {
    return this.module.forward(x, addend);
  }
}

/**
 * Linear layers at the given indices of a torch Sequential with ReLUs between
 * (keys `<idx>.weight`): e.g. dims [C, C, C] with indices [0, 2] is
 * Sequential(Linear, ReLU, Linear). Dropout (no parameters) may sit between.
 */
export class MLP extends Module {
  readonly layers: Linear[] = [];
  constructor(dims: number[], indices: number[], rng: UniformSource, private readonly dropoutP = 0, private readonly rngRef?: UniformSource) {
    super();
    for (let i = 0; i + 1 < dims.length; i++) {
      this.layers.push(this.child(String(indices[i]), new Linear(dims[i], dims[i + 1], rng)));
    }
  }
  /** With `residual`, the output plus residual (added in the last Linear's op). */
  forward(x: Tensor, residual: Tensor | null = null): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      const hidden = i + 1 < this.layers.length;
      h = l.forward(h, hidden, hidden ? null : residual); // Linear and its ReLU (or the residual add) in one op
      if (hidden && this.dropoutP > 0) h = ops.dropout(h, this.dropoutP, this.training, this.rngRef!);
    });
    return h;
  }
}
