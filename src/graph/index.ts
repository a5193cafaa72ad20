/**
 * The graph layer (hybridize): tracing a forward into a graph of primitives, the graph's plain-data
 * form and printing, its memory plan, and compiled execution with a backward graph built once.
 */
export { Graph, type GraphDescription, type GraphNode, type GraphParam, type GraphValue, type ValueRef, type ValueSource } from './graph.js';
export { Tracer, activeTracer, trace, valueReadError, type ParamNamer, type Traced } from './trace.js';
export { traceBackward, type BackwardGraph } from './backward.js';
export { planMemory, type MemoryPlan } from './memory.js';
export { Program, type RunArgs } from './program.js';
export { fuseElementwise, fusedPrim } from './fuse.js';
export { Executable, compile, type CompileOptions } from './executor.js';
