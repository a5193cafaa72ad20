# PyTorch side of bench/conv-layers.ts: times torch.nn.functional.conv2d (eval, no grad) on each
# layer shape given as JSON on argv, at one thread count; prints one JSON line of median ms per layer.
#
# Usage: python3 bench/peers_conv_layers.py THREADS BUDGET_SECONDS_PER_LAYER 'JSON list of layers'
#   a layer: {"c": channels, "o": filters, "h": height, "w": width, "k": kernel, "s": stride, "p": pad}
import json
import sys
import time

import torch
import torch.nn.functional as F

threads, budget, layers = int(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
out = []
with torch.no_grad():
    for L in layers:
        x = torch.rand(1, L['c'], L['h'], L['w'])
        w = torch.rand(L['o'], L['c'], L['k'], L['k']) - 0.5
        for _ in range(3):
            F.conv2d(x, w, None, L['s'], L['p'])
        times = []
        t0 = time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - t0 < budget and len(times) < 500):
            a = time.perf_counter()
            F.conv2d(x, w, None, L['s'], L['p'])
            times.append(time.perf_counter() - a)
        times.sort()
        out.append(times[len(times) // 2] * 1000)
print(json.dumps({'ms': out, 'version': torch.__version__}))
