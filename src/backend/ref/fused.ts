/**
 * The reference fused element-wise kernel: the output is walked in segments over which every
 * per-channel input is either one value (channels along an axis with elements after it) or a run
 * of consecutive values (channels on the last axis), at most SEGMENT elements long; each step runs
 * the reference kernel of its op on the segment, into a register of the output's dtype (so each
 * result is rounded as the separate kernel would store it). The last step writes the output.
 */
import type { TypedArray } from '../../core/dtype.js';
import { BINARY_OPS, type BinaryOp, type BroadcastPlan, type FusedPlan, type FusedStep, type UnaryOp } from '../kernels.js';
import { binaryKernels, unaryKernels } from './elementwise.js';

const SEGMENT = 1024;
const BINARY = new Set<string>(BINARY_OPS);

/** An operand over the current segment: a view of `len` values, or one value (stride 0). */
interface Operand {
  data: TypedArray;
  scalar: boolean;
}

export function fused(out: TypedArray, inputs: readonly TypedArray[], plan: FusedPlan): void {
  const { size, inner, channels, layouts, steps } = plan;
  const hasChannel = layouts.includes(2);
  const run = hasChannel ? (inner > 1 ? inner : channels) : Math.max(size, 1);
  const Ctor = out.constructor as Float64ArrayConstructor;
  const regs = steps.map(() => new Ctor(Math.min(SEGMENT, run)));
  const k = inputs.length;
  const operands: Operand[] = new Array<Operand>(k + steps.length);
  const plans = [0, 1].map((sa) => [0, 1].map((sb): BroadcastPlan => ({ shape: [0], aStrides: [sa], bStrides: [sb] })));
  for (let base = 0; base < size; base += run) {
    const r = base / run;
    for (let j0 = 0; j0 < run; j0 += SEGMENT) {
      const len = Math.min(SEGMENT, run - j0);
      const at = base + j0;
      for (let i = 0; i < k; i++) {
        const x = inputs[i]!;
        const layout = layouts[i]!;
        if (layout === 0) operands[i] = { data: x.subarray(at, at + len), scalar: false };
        else if (layout === 1) operands[i] = { data: x, scalar: true };
        else if (inner > 1) operands[i] = { data: x.subarray(r % channels, r % channels + 1), scalar: true };
        else operands[i] = { data: x.subarray(j0, j0 + len), scalar: false };
      }
      for (let s = 0; s < steps.length; s++) {
        const dst = s === steps.length - 1 ? out.subarray(at, at + len) : regs[s]!.subarray(0, len);
        step(steps[s]!, dst, operands, len, plans);
        operands[k + s] = { data: dst, scalar: false };
      }
    }
  }
}

function step(st: FusedStep, dst: TypedArray, ops: readonly Operand[], len: number, plans: BroadcastPlan[][]): void {
  if (st.op === 'batchNorm') {
    const [x, mean, variance, gamma, beta] = st.args.map((a) => ops[a]!);
    for (let j = 0; j < len; j++) {
      const c = (o: Operand): number => o.data[o.scalar ? 0 : j]!;
      // The same arithmetic, in the same order, as the batchNormForward kernel.
      const scale = (1 / Math.sqrt(c(variance!) + st.eps)) * (st.scale ? c(gamma!) : 1);
      const shift = st.center ? c(beta!) : 0;
      dst[j] = (c(x!) - c(mean!)) * scale + shift;
    }
  } else if (BINARY.has(st.op)) {
    const [a, b] = [ops[st.args[0]]!, ops[st.args[1]!]!];
    const plan = plans[a.scalar ? 0 : 1]![b.scalar ? 0 : 1]!;
    (plan.shape as number[])[0] = len;
    binaryKernels[st.op as BinaryOp](dst, a.data, b.data, plan);
  } else {
    unaryKernels[st.op as UnaryOp](dst, ops[st.args[0]]!.data);
  }
}
