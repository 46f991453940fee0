/**
 * Module: a tree of named parameters, buffers and children whose flattened
 * names are exactly PyTorch's `state_dict` keys (`convs.0.norm1.module.weight`),
 * in registration order, so weights move both ways through safetensors files.
 */
import { Tensor } from '../tensor/tensor.js';
import type { DeviceName } from '../tensor/device.js';

/**
 * Base class of layers and models: a tree of named parameters, buffers and child
 * modules, registered in the constructor (`param`, `buffer`, `child`), whose
 * flattened names are PyTorch's state_dict keys in PyTorch's order. Subclasses
 * add a `forward`.
 */
export class Module {
  /** Train mode (the default) or eval mode, which BatchNorm and dropout read; set it with `train()` / `eval()`. */
  training = true;
  private readonly entries: { name: string; kind: 'param' | 'buffer' | 'child'; value: Tensor | Module; int?: boolean }[] = [];

  /** Registers a trainable parameter (requiresGrad on). */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.name = name;
    this.entries.push({ name, kind: 'param', value: t });
    return t;
  }

  /** Registers a buffer: saved in the state dict, never trained. */
  protected buffer(name: string, t: Tensor, int = false): Tensor {
    this.entries.push({ name, kind: 'buffer', value: t, int });
    return t;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.entries.push({ name, kind: 'child', value: m });
    return m;
  }

  /** Every (key, tensor, kind, isInt) of parameters and buffers, in PyTorch's state-dict order. */
  stateEntries(prefix = ''): [string, Tensor, 'param' | 'buffer', boolean][] {
    const out: [string, Tensor, 'param' | 'buffer', boolean][] = [];
    // PyTorch lists a module's own parameters, then its own buffers, then children.
    for (const kind of ['param', 'buffer'] as const) {
      for (const e of this.entries) if (e.kind === kind) out.push([prefix + e.name, e.value as Tensor, kind, e.int === true]);
    }
    for (const e of this.entries) {
      if (e.kind === 'child') out.push(...(e.value as Module).stateEntries(`${prefix}${e.name}.`));
    }
    return out;
  }

  /** Trainable parameters with their state-dict keys. */
  namedParameters(): [string, Tensor][] {
    return this.stateEntries().filter((e) => e[2] === 'param').map(([k, t]) => [k, t]);
  }

  /** Trainable parameters in state-dict order (`namedParameters` without the keys). */
  parameters(): Tensor[] {
    return this.namedParameters().map((e) => e[1]);
  }

  /** key -> tensor for parameters and buffers (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.stateEntries().map(([k, t]) => [k, t]));
  }

  /**
   * Copies values into this module's parameters and buffers. Every key must be
   * present with the right size: unknown, missing or mis-shaped keys are listed in one error.
   */
  loadStateDict(values: Map<string, { data: ArrayLike<number>; shape: readonly number[] }>): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !values.has(k));
    const unknown = [...values.keys()].filter((k) => !own.has(k));
    const misShaped: string[] = [];
    for (const [k, t] of own) {
      const v = values.get(k);
      if (v && !sameShape(v.shape, t.shape)) misShaped.push(`${k}: got [${v.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
    }
    if (missing.length || unknown.length || misShaped.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
      if (unknown.length) parts.push(`unknown keys (${unknown.length}): ${unknown.join(', ')}`);
      if (misShaped.length) parts.push(`mis-shaped keys: ${misShaped.join('; ')}`);
      throw new Error(`loadStateDict: state dict does not match the model.\n  ${parts.join('\n  ')}`);
    }
    for (const [k, t] of own) t.setValues(values.get(k)!.data);
  }

  /**
   * Moves every parameter and float buffer to `device` in place; returns this module.
   * Integer buffers (counters such as num_batches_tracked) stay on the host, where
   * they are counted.
   */
  to(device: DeviceName): this {
    for (const [, t, kind, isInt] of this.stateEntries()) if (kind === 'param' || !isInt) t.moveTo(device);
    return this;
  }

  /** The device of this module's parameters (cpu for a module without any). */
  get device(): DeviceName {
    const p = this.stateEntries().find(([, , kind]) => kind === 'param');
    return p ? p[1].device.name : 'cpu';
  }

  /** Sets train mode on this module and all children. */
  train(on = true): this {
    this.training = on;
    for (const e of this.entries) if (e.kind === 'child') (e.value as Module).train(on);
    return this;
  }

  /** Sets eval mode on this module and all children (`train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient; the arrays go back to the scratch pool (`Tensor.clearGrad`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.clearGrad();
  }
}

/** Children indexed 0..n-1 (`convs.0.`, `convs.1.`, ...). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[] = [];
  push(m: M): M {
    this.child(String(this.items.length), m);
    this.items.push(m);
    return m;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  // A scalar may be stored as [] or [1]; PyTorch shapes are otherwise exact.
  const na = a.length === 0 ? [1] : a, nb = b.length === 0 ? [1] : b;
  return na.length === nb.length && na.every((d, i) => d === nb[i]);
}
