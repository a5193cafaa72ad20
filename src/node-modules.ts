/**
 * The Node entry's hand-over of Node's built-in modules to core/platform.ts, for Node 20 releases
 * before 20.16 (which lack process.getBuiltinModule). src/index.ts evaluates it first; the
 * browser entry never reaches it. It exports nothing.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import * as workerThreads from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { provideNodeModules } from './core/platform.js';

provideNodeModules({
  'node:crypto': crypto, 'node:fs': fs, 'node:fs/promises': fsPromises, 'node:module': module, 'node:os': os,
  'node:path': path, 'node:url': url, 'node:worker_threads': workerThreads, 'node:zlib': zlib,
});
