// Round trip through PyTorch: a tsgluon MLP saves its parameters as safetensors, PyTorch loads
// them into the same architecture with load_state_dict(strict=True), checks it computes the same
// output, takes one SGD step and saves its state_dict back; tsgluon loads that file, takes the same
// step itself, and compares. Then it times saving and loading a larger model on both sides.
//
// Needs /usr/bin/python3 with torch (Debian: apt-get install python3-torch); skips otherwise.
// The Python side reads and writes safetensors by hand (a few lines, below) because Debian has no
// package of the `safetensors` library; with the library installed the files are the same.
//
// Run: npx tsx examples/pytorch-roundtrip.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, nd, nn } from 'tsgluon';

const PYTHON = '/usr/bin/python3';

const PY_IO = `
import json, struct, sys, time, torch
CODES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "U8": torch.uint8}
NAMES = {v: k for k, v in CODES.items()}
def load_file(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=CODES[e["dtype"]]) if end > b else torch.empty(0, dtype=CODES[e["dtype"]])
        out[name] = t.reshape(e["shape"])
    return out
def save_file(tensors, path):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b); blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)
`;

const PY_STEP = `${PY_IO}
d = sys.argv[1]
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
model.load_state_dict(load_file(d + "/net.safetensors"), strict=True)
io = load_file(d + "/io.safetensors")
y = model(io["x"])
loss = ((y - io["target"]) ** 2).mean()
loss.backward()
with torch.no_grad():
    for p in model.parameters():
        p -= 0.1 * p.grad
save_file({"y": y.detach(), "loss": loss.detach().reshape(1)}, d + "/torch-out.safetensors")
save_file(model.state_dict(), d + "/net-after-step.safetensors")
`;

const PY_BENCH = `${PY_IO}
path = sys.argv[1]
t0 = time.perf_counter(); sd = load_file(path); t1 = time.perf_counter()
save_file(sd, path + ".torch"); t2 = time.perf_counter()
print(json.dumps({"load_ms": (t1 - t0) * 1e3, "save_ms": (t2 - t1) * 1e3}))
`;

function python(script: string, ...args: string[]): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function maxAbsDiff(a: nd.NDArray, b: nd.NDArray): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.storage[i]! - b.storage[i]!));
  return m;
}

const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log(`skipped: ${PYTHON} cannot import torch (install it with: apt-get install python3-torch)`);
  process.exit(0);
}
console.log(`PyTorch ${probe.stdout.trim()}`);

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-torch-'));
try {
  nd.random.seed(0);
  // Same keys as torch.nn.Sequential(Linear(8, 16), ReLU(), Linear(16, 3)): 0.*, 2.*.
  const net = new nn.Sequential().add(new nn.Dense(16), new nn.Activation('relu'), new nn.Dense(3));
  net.initialize({ init: 'xavier' });
  const x = nd.random.normal({ shape: [32, 8] });
  const target = nd.random.normal({ shape: [32, 3] });
  const y = net.forward(x);
  net.saveParameters(join(dir, 'net.safetensors'));
  nd.save(join(dir, 'io.safetensors'), { x, target });

  python(PY_STEP, dir);
  const torchOut = nd.load(join(dir, 'torch-out.safetensors'));
  console.log(`forward: max |tsgluon - torch| = ${maxAbsDiff(y, torchOut['y']!).toExponential(2)}`);

  // The same SGD step in tsgluon.
  const params = net.collectParams();
  for (const p of params.values()) p.zeroGrad();
  const loss = autograd.record(() => net.forward(x).sub(target).square().mean());
  loss.backward();
  for (const p of params.values()) p.setData(p.data().sub(p.grad().mul(0.1)));
  console.log(`loss: tsgluon ${loss.item().toFixed(7)}, torch ${torchOut['loss']!.item().toFixed(7)}`);

  const afterTorch = new nn.Sequential().add(new nn.Dense(16), new nn.Activation('relu'), new nn.Dense(3));
  afterTorch.loadParameters(join(dir, 'net-after-step.safetensors')); // never initialized: shapes come from the file
  for (const [path, p] of params) {
    console.log(`after one step, ${path.padEnd(8)} max |tsgluon - torch| = ${maxAbsDiff(p.data(), afterTorch.collectParams().get(path).data()).toExponential(2)}`);
  }

  // Timing: a 784-1024-1024-10 MLP (about 1.86 million float32 parameters, 7.5 MB).
  const big = new nn.Sequential().add(new nn.Dense(1024, { inUnits: 784 }), new nn.Dense(1024, { inUnits: 1024 }), new nn.Dense(10, { inUnits: 1024 }));
  big.initialize();
  const bigPath = join(dir, 'big.safetensors');
  const time = (fn: () => void): number => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      fn();
      runs.push(performance.now() - t0);
    }
    return runs.sort((a, b) => a - b)[2]!;
  };
  const saveMs = time(() => big.saveParameters(bigPath));
  const fresh = new nn.Sequential().add(new nn.Dense(1024), new nn.Dense(1024), new nn.Dense(10));
  const loadMs = time(() => fresh.loadParameters(bigPath));
  const torchMs = JSON.parse(python(PY_BENCH, bigPath)) as { load_ms: number; save_ms: number };
  console.log('\n| 1.86M-parameter MLP (7.5 MB) | save (ms) | load (ms) |');
  console.log('|---|---|---|');
  console.log(`| tsgluon saveParameters / loadParameters (median of 5) | ${saveMs.toFixed(1)} | ${loadMs.toFixed(1)} |`);
  console.log(`| PyTorch, hand-written reader/writer (one run) | ${torchMs.save_ms.toFixed(1)} | ${torchMs.load_ms.toFixed(1)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
