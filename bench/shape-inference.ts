// Data-free shape inference and initialization from an input shape alone: how long
// `net.inferShape(shape)` and `net.initialize({ inputShape })` take on the model zoo's largest
// networks, against one real forward of the same network. Medians of a few runs, milliseconds.
import { gluon, nd } from 'tsgluon';

const { vision } = gluon.modelZoo;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, runs: number): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const rows: string[][] = [];
for (const name of ['resnet18', 'resnet50', 'resnet152', 'densenet121']) {
  const infer = time(() => vision.getModel(name).inferShape([1, 3, 224, 224]), 3);
  const init = time(() => vision.getModel(name).initialize({ inputShape: [1, 3, 224, 224] }), 3);
  const net = vision.getModel(name);
  net.initialize({ inputShape: [1, 3, 224, 224] });
  const x = nd.random.uniform({ shape: [1, 3, 224, 224] });
  const forward = time(() => net.forward(x), 1);
  const layers = net.collectParams().size;
  rows.push([name, String(layers), infer.toFixed(1), init.toFixed(1), forward.toFixed(1)]);
}
console.log('| model | parameters | inferShape ms | initialize({ inputShape }) ms | one forward (1x3x224x224) ms |');
console.log('|---|--:|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
