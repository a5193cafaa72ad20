/**
 * The `graph` namespace: the graphs hybridize traces, as data (Graph, its plain-data description
 * and printer) and as something to run (`compile`). Tracing, memory planning and fusion are
 * internal to this folder and to src/gluon/hybridize.ts.
 */
export { Graph, type GraphDescription, type GraphNode, type GraphParam, type GraphValue, type ValueRef, type ValueSource } from './graph.js';
export { Executable, compile, type CompileOptions } from './executor.js';
export type { BackwardGraph } from './backward.js';
export type { MemoryPlan } from './memory.js';
export type { Program, RunArgs } from './program.js';
