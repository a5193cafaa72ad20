# PyTorch peers for bench/hybridize.ts, eager and TorchScript (torch.jit.trace), at one thread
# count: the MLP 784-256(ReLU)-10 SGD training step (batch 256, as bench/peers.py) in steps/s,
# and ResNet-18 inference (torchvision, batch 1, 3x224x224, eval mode, no_grad; the traced
# module frozen, as PEERS.md measured it) in milliseconds per image.
# Usage: python3 bench/peers-hybrid.py THREADS BUDGET_SECONDS mlp|resnet18 -> one JSON line.
# Run by bench/hybridize.ts with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and
# OMP_WAIT_POLICY=PASSIVE.
import json, sys, time

threads, budget, mode = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
out = {'errors': []}


def steps_per_second(step):
    """Median steps/s over five blocks of budget/2 seconds each, after 20 warm-up steps."""
    for _ in range(20):
        step()
    blocks = []
    for _ in range(5):
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < budget / 2:
            step()
            n += 1
        blocks.append(n / (time.perf_counter() - t0))
    blocks.sort()
    return blocks[len(blocks) // 2]


def median_ms(fn, reps=9, warm=3):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


try:
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(threads)
    with threadpool_limits(threads, 'blas'):
        if mode == 'mlp':
            for name, script in (('torchMlp', False), ('torchscriptMlp', True)):
                torch.manual_seed(0)
                net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
                x = torch.rand(256, 784)
                y = torch.randint(0, 10, (256,))
                model = torch.jit.trace(net, x) if script else net
                loss = torch.nn.CrossEntropyLoss()
                opt = torch.optim.SGD(net.parameters(), lr=0.1)

                def step():
                    opt.zero_grad()
                    loss(model(x), y).backward()
                    opt.step()

                out[name] = steps_per_second(step)
        elif mode == 'resnet18':
            import torchvision
            net = torchvision.models.resnet18().eval()
            x = torch.rand(1, 3, 224, 224)
            with torch.no_grad():
                out['torchResnet18Ms'] = median_ms(lambda: net(x))
                scripted = torch.jit.freeze(torch.jit.trace(net, x))
                out['torchscriptResnet18Ms'] = median_ms(lambda: scripted(x))
except ImportError as e:
    out['errors'].append(f'torch: {e}')

print(json.dumps(out))
