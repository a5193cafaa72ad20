/** The `dist` namespace: data-parallel training across processes and hosts over MPI. */
export { init, isInitialized, launchedByMpi, type InitOptions } from './init.js';
export { Communicator, Pending, type ReduceOp } from './communicator.js';
export { GradientReducer, type ReducerOptions, type ReducerStats } from './reducer.js';
export { broadcastArrays } from './fused.js';
