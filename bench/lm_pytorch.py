# The PyTorch side of bench/lm-perplexity.ts: D2L's character language model (PyTorch edition of
# sections 8.6 / 9.2) trained from the initial weights tsgluon wrote, on the batches tsgluon used.
# Usage: python3 bench/lm_pytorch.py JOB.json -> one JSON line {"perplexities": [...], "text": ...}
# JOB.json (written by bench/lm-perplexity.ts) holds the corpus (token indices), the vocabulary,
# the hyperparameters, the per-epoch offsets of sequential partitioning and the path of the
# initial weights (safetensors, tsgluon's names: rnn.l0_i2h_weight, ..., dense.weight).
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', info
        a, b = info['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info['shape']).clone()
    return out


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job.get('threads', 1))
    V, H, kind = len(job['vocab']), job['hidden'], job['model']
    if kind == 'lstm':
        rnn = torch.nn.LSTM(V, H)
    elif kind == 'gru':
        rnn = torch.nn.GRU(V, H)
    else:
        rnn = torch.nn.RNN(V, H, nonlinearity='tanh')
    linear = torch.nn.Linear(H, V)
    w = read_safetensors(job['weights'])
    with torch.no_grad():
        # tsgluon's Gluon names -> PyTorch's: same gate order, so the values copy over unchanged.
        for part, torch_part in (('i2h', 'ih'), ('h2h', 'hh')):
            getattr(rnn, f'weight_{torch_part}_l0').copy_(w[f'rnn.l0_{part}_weight'])
            getattr(rnn, f'bias_{torch_part}_l0').copy_(w[f'rnn.l0_{part}_bias'])
        linear.weight.copy_(w['dense.weight'])
        linear.bias.copy_(w['dense.bias'])
    params = list(rnn.parameters()) + list(linear.parameters())
    opt = torch.optim.SGD(params, lr=job['lr'])
    corpus = torch.tensor(job['corpus'], dtype=torch.long)
    N, T = job['batchSize'], job['numSteps']

    def begin_state(n):
        z = torch.zeros(1, n, H)
        return (z, torch.zeros(1, n, H)) if kind == 'lstm' else z

    def forward(x, state):
        y, state = rnn(F.one_hot(x.T, V).float(), state)
        return linear(y.reshape(-1, H)), state

    def batches(offset):
        # D2L's seq_data_iter_sequential with the offset tsgluon drew.
        rows = (len(corpus) - offset - 1) // N
        xs = corpus[offset: offset + N * rows].reshape(N, rows)
        ys = corpus[offset + 1: offset + 1 + N * rows].reshape(N, rows)
        for i in range(0, rows // T * T, T):
            yield xs[:, i: i + T], ys[:, i: i + T]

    perplexities = []
    for offset in job['offsets']:
        state, total, count = None, 0.0, 0
        for X, Y in batches(offset):
            if state is None:
                state = begin_state(N)
            else:
                state = tuple(s.detach() for s in state) if kind == 'lstm' else state.detach()
            y = Y.T.reshape(-1)
            y_hat, state = forward(X, state)
            loss = F.cross_entropy(y_hat, y)
            opt.zero_grad()
            loss.backward()
            # gluon.utils.clipGlobalNorm's rule: scale by theta / (norm + 1e-8) when that is below 1.
            norm = math.sqrt(sum(float(torch.sum(p.grad.double() ** 2)) for p in params))
            scale = 1.0 / (norm + 1e-8)
            if scale < 1:
                for p in params:
                    p.grad.mul_(scale)
            opt.step()
            total += float(loss) * y.numel()
            count += y.numel()
        perplexities.append(math.exp(total / count))

    vocab = job['vocab']
    index = {t: i for i, t in enumerate(vocab)}
    texts = []
    with torch.no_grad():
        for prefix in job['prefixes']:
            state, out = begin_state(1), [index.get(prefix[0], 0)]
            for ch in prefix[1:]:
                _, state = forward(torch.tensor([[out[-1]]]), state)
                out.append(index.get(ch, 0))
            for _ in range(job['numPreds']):
                y, state = forward(torch.tensor([[out[-1]]]), state)
                out.append(int(y.argmax(dim=1)))
            texts.append(''.join(vocab[i] for i in out))
    print(json.dumps({'perplexities': perplexities, 'texts': texts, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
