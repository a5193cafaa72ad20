import { backend, gluon, nd } from './src/index.js';
backend.getBackend().setNumThreads?.(1);
const table = backend.getBackend().kernels as unknown as Record<string, unknown>;
const spent: Record<string, number> = {};
const wrap = (obj: Record<string, unknown>, prefix: string) => {
  for (const [key, f] of Object.entries(obj)) {
    if (typeof f === 'function') {
      obj[key] = (...a: unknown[]) => { const t0 = performance.now(); const r = (f as (...args: unknown[]) => unknown)(...a); spent[prefix + key] = (spent[prefix + key] ?? 0) + performance.now() - t0; return r; };
    } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>, key + '.');
  }
};
wrap(table, '');
for (const hybrid of [false, true]) {
  const net = gluon.modelZoo.vision.resnet18();
  net.initialize({ init: 'xavier' });
  if (hybrid) net.hybridize({ staticAlloc: true });
  const x = nd.random.uniform({ shape: [1, 3, 224, 224] });
  for (let i = 0; i < 3; i++) net.forward(x);
  for (const k of Object.keys(spent)) delete spent[k];
  const n = 10; const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) net.forward(x);
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / n;
  const kern = Object.values(spent).reduce((a, b) => a + b, 0) / n;
  console.log(hybrid ? 'hybrid' : 'eager', 'wall', wall.toFixed(1), 'cpu', ((c.user + c.system) / 1000 / n).toFixed(1), 'kernels', kern.toFixed(1), Object.entries(spent).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', '));
}
