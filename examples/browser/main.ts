// tsgluon in the browser (`npm run example:browser`): the demo's multilayer perceptron, declared
// without input sizes, trains on the 10,000 digits bundled with tsgluon on the WebAssembly
// backend, with a live loss and accuracy chart; then it reads digits drawn on the canvas.
// The page is served cross-origin isolated (vite.config.ts), so the backend runs on several
// threads; elsewhere it runs on one. tests/browser/ drives this page in headless Chromium and
// reads `window.tsgluonDemo`.
import { autograd, backend, fmtShape, gluon, init, metric, nd, nn } from 'tsgluon';
import { drawChart, type Series } from './chart.js';
import { toMnist } from './digit-image.js';

const EPOCHS = 10;
const BATCH = 64;
const LEARNING_RATE = 0.05;

interface ParamRow {
  path: string;
  name: string;
  shape: string;
  state: string;
}
interface EpochRow {
  epoch: number;
  loss: number;
  trainAcc: number;
  testAcc: number;
  seconds: number;
}
/** What the page exposes to tests/browser/. */
interface DemoState {
  phase: 'loading' | 'training' | 'ready' | 'failed';
  backend: string;
  /** The parameters as shown right after initialize(): shapes still unknown. */
  pendingParams: ParamRow[];
  epochs: EpochRow[];
  testAccuracy: number | null;
  /** The digit read from the drawing canvas, with the ten probabilities, or null when it is blank. */
  predictCanvas(): { digit: number; probabilities: number[] } | null;
  error?: string;
}
declare global {
  interface Window {
    tsgluonDemo: DemoState;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const state: DemoState = { phase: 'loading', backend: '', pendingParams: [], epochs: [], testAccuracy: null, predictCanvas: () => null };
window.tsgluonDemo = state;
const say = (text: string) => ($('status').textContent = text);
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function main(): Promise<void> {
  say('loading the WebAssembly backend...');
  const wasm = await backend.loadWasm();
  state.backend = `wasm (${wasm.variant.relaxed ? 'relaxed SIMD' : 'SIMD128'}, ${wasm.numThreads()} thread${wasm.numThreads() === 1 ? '' : 's'}${crossOriginIsolated ? '' : '; not cross-origin isolated, so one thread'})`;
  $('backend').textContent = state.backend;

  // The network: no layer is told its input size (Gluon's deferred initialization).
  nd.random.seed(0);
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ init: new init.Xavier() });
  $('net').textContent = net.toString();
  const params = (): ParamRow[] => [...net.collectParams().entries()].map(([path, p]) => ({ path, name: p.name, shape: fmtShape(p.shape), state: p.state }));
  const cells = (r: ParamRow | undefined) => (r ? `<td>${r.shape}</td><td class="${r.state}">${r.state}</td>` : '<td></td><td></td>');
  const showParams = (later?: ParamRow[]) => {
    $('params').innerHTML = state.pendingParams.map((r, i) => `<tr><td>${r.path}</td><td>${r.name}</td>${cells(r)}${cells(later?.[i])}</tr>`).join('');
  };
  state.pendingParams = params();
  showParams();

  say('loading the bundled digits...');
  const { vision, DataLoader } = gluon.data;
  const transform = new vision.transforms.Compose([new vision.transforms.ToTensor(), new vision.transforms.Normalize(0.1307, 0.3081)]);
  const trainSet = await vision.Digits.load({ train: true, transform });
  const testSet = await vision.Digits.load({ train: false, transform });
  const trainLoader = new DataLoader(trainSet, { batchSize: BATCH, shuffle: true });
  const testLoader = new DataLoader(testSet, { batchSize: 500 });

  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LEARNING_RATE, momentum: 0.9 });
  const series: Series[] = [
    { label: 'training loss', color: '#d62728', points: [] },
    { label: 'training accuracy', color: '#1f77b4', points: [], right: true },
    { label: 'test accuracy', color: '#2ca02c', points: [], right: true },
  ];
  const chart = $<HTMLCanvasElement>('chart');
  drawChart(chart, series, EPOCHS);
  const evaluate = () => {
    const acc = new metric.Accuracy();
    for (const [x, y] of testLoader) acc.update(y, net.forward(x));
    return acc.get()[1];
  };

  state.phase = 'training';
  const batches = Math.ceil(trainSet.length / BATCH);
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const t0 = performance.now();
    const acc = new metric.Accuracy();
    let lossSum = 0, seen = 0, batch = 0, windowLoss = 0, windowSeen = 0;
    for (const [x, y] of trainLoader) {
      const [out, l] = autograd.record(() => {
        const o = net.forward(x);
        return [o, loss.forward(o, y)] as const;
      });
      l.backward();
      trainer.step(x.shape[0]!);
      const s = l.sum().item();
      lossSum += s;
      windowLoss += s;
      seen += x.shape[0]!;
      windowSeen += x.shape[0]!;
      acc.update(y, out);
      if (epoch === 1 && batch === 0) showParams(params()); // the first batch fixed every shape
      if (++batch % 25 === 0 || batch === batches) {
        const at = epoch - 1 + batch / batches;
        series[0]!.points.push([at, windowLoss / windowSeen]);
        series[1]!.points.push([at, acc.get()[1]]);
        windowLoss = windowSeen = 0;
        drawChart(chart, series, EPOCHS);
        say(`training: epoch ${epoch}/${EPOCHS}, batch ${batch}/${batches}`);
        await nextFrame();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const testAcc = evaluate();
    series[2]!.points.push([epoch, testAcc]);
    drawChart(chart, series, EPOCHS);
    const row = { epoch, loss: lossSum / seen, trainAcc: acc.get()[1], testAcc, seconds };
    state.epochs.push(row);
    $('epochs').insertAdjacentHTML(
      'beforeend',
      `<tr><td>${epoch}</td><td>${row.loss.toFixed(4)}</td><td>${row.trainAcc.toFixed(3)}</td><td>${testAcc.toFixed(3)}</td><td>${seconds.toFixed(2)} s</td><td>${Math.round(seen / seconds)}</td></tr>`,
    );
    await nextFrame();
  }
  state.testAccuracy = state.epochs.at(-1)!.testAcc;
  say(`trained: ${(100 * state.testAccuracy).toFixed(1)}% of the 2,000 held-out digits read correctly. Draw a digit below.`);
  enableDrawing(net, transform);
  state.phase = 'ready';
}

/** The drawing canvas: white strokes on black; each finished stroke is read by the network. */
function enableDrawing(net: gluon.Block, transform: { forward(x: nd.NDArray): nd.NDArray }): void {
  const canvas = $<HTMLCanvasElement>('draw');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    $('prediction').textContent = '?';
    $('bars').innerHTML = '';
  };
  clear();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  state.predictCanvas = () => {
    const pixels = toMnist(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
    if (pixels === null) return null;
    const x = transform.forward(nd.array(pixels, { dtype: 'uint8' }).reshape([1, 28, 28, 1]));
    const probabilities = Array.from(nd.softmax(net.forward(x)).storage);
    const digit = probabilities.indexOf(Math.max(...probabilities));
    $('prediction').textContent = String(digit);
    $('bars').innerHTML = probabilities
      .map((p, d) => `<div class="bar"><span>${d}</span><i style="width:${(100 * p).toFixed(1)}%"></i><em>${(100 * p).toFixed(1)}%</em></div>`)
      .join('');
    return { digit, probabilities };
  };
  let drawing = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  canvas.addEventListener('pointerup', () => {
    drawing = false;
    state.predictCanvas();
  });
  $('clear').addEventListener('click', clear);
  canvas.classList.add('ready');
}

main().catch((e: unknown) => {
  state.phase = 'failed';
  state.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  say(`failed: ${state.error}`);
  console.error(e);
});
