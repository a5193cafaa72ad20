/**
 * Worker of tests/dist/failure.test.ts, launched by mpirun. MODE 'throw': rank 1 throws during its
 * third training step while rank 0 goes on to the gradient allreduce that rank 1 never joins.
 * MODE 'exit': rank 1 exits normally before the allreduce, so rank 0 waits in it until its
 * timeout (3 s) ends the job (rank 1, waiting in the final barrier, has a longer one).
 *
 * usage: node --import tsx fail.ts <throw|exit>
 */
import { autograd, dist, gluon, nd, nn } from '../../../src/index.js';

const mode = process.argv[2];
const rank = Number(process.env['OMPI_COMM_WORLD_RANK']);
const comm = dist.init({ timeout: mode === 'exit' && rank === 0 ? 3 : 120 });
const net = new nn.Sequential();
net.add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(2));
net.initialize();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 }, { kvstore: 'dist_sync' });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const x = nd.ones([4, 3]);
const y = nd.array([0, 1, 0, 1]);

function step(i: number): void {
  const l = autograd.record(() => loss.forward(net.forward(x), y));
  if (comm.rank === 1 && i === 3 && mode === 'throw') throw new Error('rank 1 ran out of data at step 3 (on purpose)');
  if (comm.rank === 1 && i === 3 && mode === 'exit') process.exit(0);
  l.backward();
  trainer.step(4);
}

for (let i = 1; i <= 5; i++) step(i);
console.log(`rank ${comm.rank} finished`);
