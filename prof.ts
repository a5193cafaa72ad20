import { autograd, backend, gluon, init, nd, nn } from './src/index.js';
backend.getBackend().setNumThreads?.(1);
nd.random.seed(0);
const net = new nn.HybridSequential();
net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net.initialize({ init: new init.Normal(0.01) });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const mode = process.env.MODE ?? 'static';
if (mode !== 'eager') { net.hybridize({ staticAlloc: mode === 'static' }); loss.hybridize({ staticAlloc: mode === 'static' }); }
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
const x = nd.random.uniform({ shape: [256, 784] });
const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
const s = () => { autograd.record(() => loss.forward(net.forward(x), y)).backward(); trainer.step(256); };
for (let i = 0; i < 1500; i++) s();
