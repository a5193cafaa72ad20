# PyTorch side of the convolution benchmarks (bench/cnn.ts, bench/lenet-epoch.ts, bench/profile-steps.ts):
# the same networks as tsgluon's, timed or profiled at one thread count.
#
# Usage: python3 bench/peers_cnn.py MODE NET THREADS BUDGET_SECONDS -> one JSON line
#   MODE  time     median seconds per call after warm-up ({"step": s, "cpu": s, "version": v})
#         profile  torch.profiler table of one run of calls, self CPU time per op and input shapes
#                  (printed as text, then the JSON line {"steps": n})
#         epochs   (NET lenet-sigmoid or lenet-relu, BUDGET = the number of epochs, then the train
#                  images, train labels, test images, test labels IDX files): D2L's full training run,
#                  seconds per epoch (training and test evaluation) and the test accuracy after each
#         export   (NET resnet18-infer, THREADS and BUDGET ignored, then a folder): writes the seeded
#                  torchvision ResNet-18 as resnet18.onnx (torch.onnx.export, opset 13) and as
#                  resnet18.safetensors under tsgluon's parameter names, an input and PyTorch's output
#                  for it as io.safetensors
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


# tsgluon's names for torchvision's ResNet-18 parameters (model zoo layout: features.0 stem conv,
# features.1 its BatchNorm, features.4-7 the stages; blocks' body.0/1/3/4 and downsample.0/1).
BN_NAMES = {'weight': 'gamma', 'bias': 'beta', 'running_mean': 'running_mean', 'running_var': 'running_var'}


def tsgluon_name(key):
    parts = key.split('.')
    if parts[0] == 'fc':
        return 'output.' + parts[1]
    if parts[0] == 'conv1':
        return 'features.0.weight'
    if parts[0] == 'bn1':
        return 'features.1.' + BN_NAMES[parts[1]]
    stage, block = int(parts[0][5:]) + 3, parts[1]
    if parts[2] == 'downsample':
        idx, leaf = parts[3], parts[4]
        return f'features.{stage}.{block}.downsample.{idx}.' + (leaf if idx == '0' else BN_NAMES[leaf])
    where = {'conv1': '0', 'bn1': '1', 'conv2': '3', 'bn2': '4'}[parts[2]]
    leaf = parts[3]
    return f'features.{stage}.{block}.body.{where}.' + (leaf if parts[2].startswith('conv') else BN_NAMES[leaf])


def save_safetensors(tensors, path):
    import struct
    header, blobs, off = {}, [], 0
    for key in sorted(tensors):
        b = tensors[key].detach().float().contiguous().numpy().tobytes()
        header[key] = {'dtype': 'F32', 'shape': list(tensors[key].shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


if mode == 'export':
    import torchvision
    folder = sys.argv[5]
    net = torchvision.models.resnet18().eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):  # running statistics away from 0 / 1, so they matter
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        y = net(x)
    torch.onnx.export(net, x, f'{folder}/resnet18.onnx', opset_version=13, input_names=['x'], output_names=['y'])
    params = {tsgluon_name(k): v for k, v in net.state_dict().items() if not k.endswith('num_batches_tracked')}
    save_safetensors(params, f'{folder}/resnet18.safetensors')
    save_safetensors({'x': x, 'y': y}, f'{folder}/io.safetensors')
    print(json.dumps({'params': len(params), 'version': torch.__version__}))
    sys.exit(0)

def read_idx(path):
    import gzip
    import numpy as np
    raw = open(path, 'rb').read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


if mode == 'epochs':
    import numpy as np
    variant, epochs = name.split('-')[1], int(budget)
    x_train = torch.from_numpy(read_idx(sys.argv[5]).astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y_train = torch.from_numpy(read_idx(sys.argv[6]).astype(np.int64))
    x_test = torch.from_numpy(read_idx(sys.argv[7]).astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y_test = torch.from_numpy(read_idx(sys.argv[8]).astype(np.int64))
    with threadpool_limits(threads, 'blas'):
        net = lenet(variant)
        loss = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(net.parameters(), lr=0.9 if variant == 'sigmoid' else 0.1)
        times, accs = [], []
        for e in range(epochs):
            t0 = time.perf_counter()
            net.train()
            perm = torch.randperm(x_train.shape[0])
            for i in range(0, x_train.shape[0], 256):
                idx = perm[i:i + 256]
                opt.zero_grad()
                loss(net(x_train[idx]), y_train[idx]).backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                correct = sum(int((net(x_test[i:i + 256]).argmax(1) == y_test[i:i + 256]).sum()) for i in range(0, x_test.shape[0], 256))
            times.append(time.perf_counter() - t0)
            accs.append(correct / x_test.shape[0])
    print(json.dumps({'times': times, 'accs': accs, 'version': torch.__version__}))
    sys.exit(0)

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
