/**
 * The CommonJS entry, `require('tsgluon')`: the ES module itself, loaded through Node's
 * require(esm) (Node 20.19+), so CommonJS and ESM code in one program share one copy of tsgluon
 * (one backend registry, one NDArray class). Only re-exports.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the one place a require is the point
import tsgluon = require('./index.js');
export = tsgluon;
