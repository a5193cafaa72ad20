# Peer measurement for bench/lstm-step.ts: PyTorch's training step of D2L's character language
# model with nn.LSTM (one-hot input of 28 characters, batch 32, 35 time steps, hidden 256, a
# Linear decoder, mean cross-entropy, gradients clipped to norm 1, SGD), at one thread count.
# Usage: python3 bench/peers_lstm.py THREADS BUDGET_SECONDS -> one JSON line {"steps_per_s": ...}
# Run by bench/lstm-step.ts with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and
# OMP_WAIT_POLICY=PASSIVE.
import json
import sys
import time

import torch
import torch.nn.functional as F

threads, budget = int(sys.argv[1]), float(sys.argv[2])
torch.set_num_threads(threads)
try:
    from threadpoolctl import threadpool_limits
    limits = threadpool_limits(threads, 'blas')
except ImportError:
    limits = None

V, N, T, H = 28, 32, 35, 256
torch.manual_seed(0)
lstm = torch.nn.LSTM(V, H)
linear = torch.nn.Linear(H, V)
params = list(lstm.parameters()) + list(linear.parameters())
opt = torch.optim.SGD(params, lr=1)
X = torch.randint(0, V, (N, T))
Y = torch.randint(0, V, (N, T))
state = (torch.zeros(1, N, H), torch.zeros(1, N, H))


def step():
    global state
    state = tuple(s.detach() for s in state)
    x = F.one_hot(X.T, V).float()
    y, state = lstm(x, state)
    out = linear(y.reshape(-1, H))
    loss = F.cross_entropy(out, Y.T.reshape(-1))
    opt.zero_grad()
    loss.backward()
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > 1:
        for p in params:
            p.grad[:] *= 1 / norm
    opt.step()


for _ in range(5):
    step()
blocks = []
for _ in range(3):
    t0 = time.perf_counter()
    steps = 0
    while time.perf_counter() - t0 < budget:
        step()
        steps += 1
    blocks.append(steps / (time.perf_counter() - t0))
blocks.sort()
print(json.dumps({'steps_per_s': blocks[1], 'torch': torch.__version__}))
