/**
 * The kernel registry side of the fixes: which kernels are patched, how a patched kernel is
 * marked and keeps its original, and patching and unpatching the 'wasm' registry.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { viewConcat, viewSlice, viewSplitV, viewUnpack } from './copies';
import { explicitTransposeMatMul } from './matmul';
import { sigmoidTanh } from './tanh';

const BACKEND = 'wasm';

/** The kernels this module replaces, in the order they are patched. */
export const PATCHED_KERNELS: readonly string[] = [
  'BatchMatMul',
  '_FusedMatMul',
  'Slice',
  'SplitV',
  'Unpack',
  'Concat',
  'Tanh',
];

// Marks on our kernel functions. Symbol.for, not a module-local Symbol, so that a second copy
// of this module (e.g. `src/` under tsx and `dist/` in one process) sees the patch and the
// originals instead of wrapping the wrappers.
const PATCHED = Symbol.for('rnn-notebooks.wasm-kernels.patched');
const ORIGINAL = Symbol.for('rnn-notebooks.wasm-kernels.original');

type MarkedKernelFunc = KernelFunc & { [PATCHED]?: true; [ORIGINAL]?: KernelConfig };

function registered(name: string): KernelConfig {
  const config = tf.getKernel(name, BACKEND);
  if (config === undefined) {
    throw new Error(
      `kernels/wasm: kernel "${name}" is not registered for "${BACKEND}"; load the wasm backend first (setupBackend({ backend: 'wasm' }))`,
    );
  }
  return config;
}

function isPatched(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as MarkedKernelFunc)[PATCHED] === true;
}

function replace(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = registered(name);
  const kernelFunc: MarkedKernelFunc = make(original.kernelFunc);
  kernelFunc[PATCHED] = true;
  kernelFunc[ORIGINAL] = original;
  tf.unregisterKernel(name, BACKEND);
  // setupFunc/disposeFunc stay: they initialise the wasm functions that the original uses,
  // and tfjs calls them again whenever the wasm backend is (re)initialised.
  tf.registerKernel({ ...original, kernelFunc });
}

/**
 * Replaces the wasm backend's slow BatchMatMul/_FusedMatMul (transposed inputs), Slice,
 * SplitV, Unpack, Concat and Tanh kernels with faster equivalents. Idempotent; touches only 'wasm'
 * kernels; call after the wasm backend is loaded (setupBackend).
 */
export function patchWasmKernels(): void {
  if (wasmKernelsPatched()) return;
  // Resolve every kernel first so that a missing one leaves the registry untouched.
  for (const name of [...PATCHED_KERNELS, 'Transpose', 'Sigmoid', 'Multiply', 'Sub']) registered(name);
  const transpose = registered('Transpose').kernelFunc;
  const arithmetic = {
    multiply: registered('Multiply').kernelFunc,
    sigmoid: registered('Sigmoid').kernelFunc,
    sub: registered('Sub').kernelFunc,
  };
  for (const name of PATCHED_KERNELS) {
    if (isPatched(tf.getKernel(name, BACKEND))) continue;
    switch (name) {
      case 'BatchMatMul':
      case '_FusedMatMul':
        replace(name, (original) => explicitTransposeMatMul(original, transpose));
        break;
      case 'Slice':
        replace(name, viewSlice);
        break;
      case 'SplitV':
        replace(name, viewSplitV);
        break;
      case 'Unpack':
        replace(name, viewUnpack);
        break;
      case 'Concat':
        replace(name, viewConcat);
        break;
      case 'Tanh':
        replace(name, (original) => sigmoidTanh(original, arithmetic));
        break;
      default:
        throw new Error(`kernels/wasm: no fix for kernel "${name}"`);
    }
  }
}

/** True when the wasm kernel fixes are registered (by this or another copy of this module). */
export function wasmKernelsPatched(): boolean {
  return PATCHED_KERNELS.every((name) => isPatched(tf.getKernel(name, BACKEND)));
}

/** Puts the original wasm kernels back (for tests and the benchmark's "stock" rows). */
export function unpatchWasmKernels(): void {
  for (const name of PATCHED_KERNELS) {
    const config = tf.getKernel(name, BACKEND);
    const original = config === undefined ? undefined : (config.kernelFunc as MarkedKernelFunc)[ORIGINAL];
    if (original === undefined) continue;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
}

/** The kernel that `patchWasmKernels` replaced for `name`, or undefined if it is not patched. */
export function originalWasmKernel(name: string): KernelConfig | undefined {
  const config = tf.getKernel(name, BACKEND);
  return config === undefined ? undefined : (config.kernelFunc as MarkedKernelFunc)[ORIGINAL];
}
