# PyTorch side of the convolution benchmarks (bench/cnn.ts, bench/lenet-epoch.ts, bench/profile-steps.ts):
# the same networks as tsgluon's, timed or profiled at one thread count.
#
# Usage: python3 bench/peers_cnn.py MODE NET THREADS BUDGET_SECONDS -> one JSON line
#   MODE  time     median seconds per call after warm-up ({"step": s, "cpu": s, "version": v})
#         profile  torch.profiler table of one run of calls, self CPU time per op and input shapes
#                  (printed as text, then the JSON line {"steps": n})
#   NET   lenet-relu | lenet-sigmoid   LeNet training step, batch 256 (SGD, momentum 0.9)
#         resnet18-train              D2L's ResNet-18 on Fashion-MNIST: 1x96x96, batch 32, 10 classes,
#                                     BatchNorm in training mode, SGD lr 0.05
#         resnet18-infer              torchvision ResNet-18, batch 1, 3x224x224, eval mode
#         resnet50-infer              torchvision ResNet-50, batch 1, 3x224x224, eval mode
# Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and OMP_WAIT_POLICY=PASSIVE (bench/cnn.ts does).
import json
import sys
import time

import torch
from torch import nn
from threadpoolctl import threadpool_limits

mode, name, threads, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)


def lenet(variant):
    act = nn.ReLU if variant == 'relu' else nn.Sigmoid
    pool = nn.MaxPool2d if variant == 'relu' else nn.AvgPool2d
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), act(), pool(2, 2), nn.Conv2d(6, 16, 5), act(), pool(2, 2),
                        nn.Flatten(), nn.Linear(400, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, 10))
    for m in net:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def train_step(net, x, y, lr, momentum):
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    net.train()

    def step():
        opt.zero_grad()
        loss(net(x), y).backward()
        opt.step()
    return step


def infer_step(net, x):
    net.eval()

    def step():
        with torch.no_grad():
            net(x)
    return step


def make(name):
    import torchvision
    if name.startswith('lenet-'):
        variant = name.split('-')[1]
        return train_step(lenet(variant), torch.rand(256, 1, 28, 28), torch.randint(0, 10, (256,)),
                          0.05 if variant == 'relu' else 0.9, 0.9)
    if name == 'resnet18-train':
        net = torchvision.models.resnet18(num_classes=10)
        net.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        return train_step(net, torch.rand(32, 1, 96, 96), torch.randint(0, 10, (32,)), 0.05, 0.0)
    if name == 'resnet18-infer':
        return infer_step(torchvision.models.resnet18(), torch.rand(1, 3, 224, 224))
    if name == 'resnet50-infer':
        return infer_step(torchvision.models.resnet50(), torch.rand(1, 3, 224, 224))
    raise SystemExit(f'unknown net {name}')


with threadpool_limits(threads, 'blas'):
    step = make(name)
    for _ in range(3):
        step()
    if mode == 'profile':
        from torch.profiler import profile, ProfilerActivity
        steps = 0
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            t0 = time.perf_counter()
            while steps < 3 or (time.perf_counter() - t0 < budget and steps < 50):
                step()
                steps += 1
        print(prof.key_averages(group_by_input_shape=True).table(sort_by='self_cpu_time_total', row_limit=40,
                                                                  max_name_column_width=40, max_shapes_column_width=60))
        print(json.dumps({'steps': steps}))
    else:
        times, cpu, spent = [], [], 0.0
        while len(times) < 5 or (spent < budget and len(times) < 200):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            dt = time.perf_counter() - t0
            times.append(dt)
            cpu.append(time.process_time() - c0)
            spent += dt
        times.sort()
        cpu.sort()
        print(json.dumps({'step': times[len(times) // 2], 'cpu': cpu[len(cpu) // 2], 'version': torch.__version__}))
