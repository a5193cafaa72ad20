// NDArrays and autograd in a few lines: create, compute, differentiate.
import { nd, autograd } from 'tsgluon';

const x = nd.arange(4).reshape([2, 2]);
console.log('x =', x.toString());
x.attachGrad();
const y = autograd.record(() => x.mul(x).sum());
y.backward();
console.log('d(sum x^2)/dx =', x.grad!.toString());
