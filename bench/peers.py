# Peer measurements for bench/run.ts: numpy (OpenBLAS) and PyTorch float32 GEMM GFLOP/s, and the
# PyTorch MLP 784-256(ReLU)-10 SGD training step (batch 256), at one thread count.
# Usage: python3 bench/peers.py THREADS SIZES(comma-separated) BUDGET_SECONDS [mlp|gemm] -> one JSON
# line; the optional last argument measures only the PyTorch MLP step ('mlp') or only the GEMMs.
# Run by bench/run.ts with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and OMP_WAIT_POLICY=PASSIVE.
import json, sys, time

threads, sizes, budget = int(sys.argv[1]), [int(s) for s in sys.argv[2].split(',')], float(sys.argv[3])
only = sys.argv[4] if len(sys.argv) > 4 else None
if only == 'mlp':
    sizes = []
out = {'numpy': {}, 'torch': {}, 'torchMlp': None, 'errors': []}


def rate(fn, work):
    """Median work/second over timed repetitions after one warm-up call, within the budget."""
    fn()
    times, spent = [], 0.0
    while len(times) < 3 or (spent < budget and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    times.sort()
    return work / times[len(times) // 2]


try:
    import numpy as np
    from threadpoolctl import threadpool_limits
    with threadpool_limits(threads, 'blas'):
        for n in sizes:
            a = np.random.rand(n, n).astype(np.float32)
            b = np.random.rand(n, n).astype(np.float32)
            out['numpy'][n] = rate(lambda: a @ b, 2 * n ** 3) / 1e9
except ImportError as e:
    out['errors'].append(f'numpy: {e}')

try:
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(threads)
    with threadpool_limits(threads, 'blas'):
        for n in sizes:
            a = torch.rand(n, n)
            b = torch.rand(n, n)
            out['torch'][n] = rate(lambda: torch.mm(a, b), 2 * n ** 3) / 1e9
        if only != 'gemm':
            torch.manual_seed(0)
            net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
            loss = torch.nn.CrossEntropyLoss()
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            x = torch.rand(256, 784)
            y = torch.randint(0, 10, (256,))

            def step():
                opt.zero_grad()
                loss(net(x), y).backward()
                opt.step()

            for _ in range(20):
                step()
            blocks = []
            for _ in range(5):
                t0 = time.perf_counter()
                steps = 0
                while time.perf_counter() - t0 < budget / 2:
                    step()
                    steps += 1
                blocks.append(steps / (time.perf_counter() - t0))
            blocks.sort()
            out['torchMlp'] = blocks[len(blocks) // 2]
except ImportError as e:
    out['errors'].append(f'torch: {e}')

print(json.dumps(out))
