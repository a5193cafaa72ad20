/**
 * PyTorch's nn.RNN / nn.LSTM / nn.GRU weights loaded into tsgluon's layers under Gluon's names give
 * PyTorch's outputs and final states within 1e-5 (tests/fixtures/pytorch/rnn.expected.json, written
 * by make_rnn_fixtures.py with torch 1.13). The mapping is the one docs/rnn.md documents: the gate
 * order is the same in both (i f g o, r z n), so weights copy over unchanged:
 * weight_ih_l{k} -> l{k}_i2h_weight, weight_hh -> h2h_weight, bias_ih -> i2h_bias,
 * bias_hh -> h2h_bias, weight_hr -> h2r_weight, and the `_reverse` ones to r{k}_.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gluon, nd } from '../../src/index.js';

interface Tensor { shape: number[]; values: number[] }
interface Case {
  module: 'RNN' | 'LSTM' | 'GRU';
  kwargs: { input_size: number; hidden_size: number; num_layers?: number; bidirectional?: boolean; nonlinearity?: 'tanh' | 'relu'; proj_size?: number };
  params: Record<string, Tensor>;
  input: Tensor;
  states: Tensor[];
  output: Tensor;
  final: Tensor[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/pytorch/rnn.expected.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };
const arr = (t: Tensor) => nd.array(t.values, { shape: t.shape });

/** PyTorch's parameter name -> Gluon's. */
function gluonName(torchName: string): string {
  const m = /^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$/.exec(torchName);
  if (!m) throw new Error(`unexpected PyTorch parameter ${torchName}`);
  const [, kind, which, layer, reverse] = m;
  const part = { ih: 'i2h', hh: 'h2h', hr: 'h2r' }[which as 'ih' | 'hh' | 'hr'];
  return `${reverse ? 'r' : 'l'}${layer}_${part}_${kind}`;
}

function close(actual: nd.NDArray, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what} shape`);
  const a = actual.storage;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - expected.values[i]!));
  assert.ok(worst <= 1e-5, `${what}: largest difference ${worst}`);
}

for (const [name, c] of Object.entries(fixture.cases)) {
  test(`PyTorch ${c.module} weights loaded under Gluon's names: ${name}`, () => {
    const k = c.kwargs;
    const common = { numLayers: k.num_layers ?? 1, bidirectional: k.bidirectional ?? false };
    const layer =
      c.module === 'LSTM' ? new gluon.rnn.LSTM(k.hidden_size, { ...common, projectionSize: k.proj_size ?? 0 })
        : c.module === 'GRU' ? new gluon.rnn.GRU(k.hidden_size, common)
          : new gluon.rnn.RNN(k.hidden_size, { ...common, activation: k.nonlinearity ?? 'tanh' });
    layer.initialize();
    const params = layer.collectParams();
    assert.deepEqual(new Set(Object.keys(c.params).map(gluonName)), new Set(params.keys()));
    for (const [torchName, t] of Object.entries(c.params)) params.get(gluonName(torchName)).setData(arr(t));
    const [y, states] = layer.forward(arr(c.input), c.states.map(arr));
    close(y, c.output, `${name} output`);
    states.forEach((s, i) => close(s, c.final[i]!, `${name} final state ${i}`));
  });
}
