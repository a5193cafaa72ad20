/**
 * Training across hosts over TCP. Two network namespaces joined by a veth pair stand for two
 * hosts: mpirun runs in the first, and reaches the second as it would reach a remote host over
 * ssh, through an agent (Open MPI's plm_rsh_agent) that runs the command with `ip netns exec`.
 * Only the TCP transport is enabled, so every byte between the ranks crosses the veth pair.
 *
 * This needs root with the capabilities to create network namespaces (CAP_SYS_ADMIN and
 * CAP_NET_ADMIN, as in CI's container) and iproute2; without them the test fails and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSucceeded, mpirun, rankFiles, requireMpi, tempDir, workerCommand } from './mpi.js';

interface RankResult {
  rank: number;
  netns: string;
  addresses: string[];
  steps: number;
  stats: { buckets: number; sharedBuckets: number };
  params: Record<string, number[]>;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error !== undefined) assert.fail(`the cross-host test needs iproute2's ip command (apt-get install iproute2): ${r.error.message}`);
  assert.equal(
    r.status,
    0,
    `ip ${args.join(' ')} failed: ${r.stderr.trim()}. The cross-host test creates network namespaces, which needs root with ` +
      'CAP_SYS_ADMIN and CAP_NET_ADMIN (a privileged container)',
  );
}

test('the MLP trains across two hosts (network namespaces joined by a veth pair) over TCP, as on one process', () => {
  requireMpi();
  const id = process.pid % 100000;
  const subnet = `10.231.${process.pid % 250}`;
  const hosts = [
    { ns: `tsg${id}a`, veth: `tsgv${id}a`, addr: `${subnet}.1` },
    { ns: `tsg${id}b`, veth: `tsgv${id}b`, addr: `${subnet}.2` },
  ] as const;
  const dir = tempDir();
  try {
    for (const h of hosts) ip('netns', 'add', h.ns);
    ip('link', 'add', hosts[0].veth, 'type', 'veth', 'peer', 'name', hosts[1].veth);
    for (const h of hosts) {
      ip('link', 'set', h.veth, 'netns', h.ns);
      ip('-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', h.veth);
      ip('-n', h.ns, 'link', 'set', h.veth, 'up');
      ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    }
    // The remote agent: mpirun calls it as `agent HOST COMMAND...`, as it would call ssh.
    const agent = join(dir, 'netns-agent.sh');
    const cases = hosts.map((h) => `  ${h.addr}) ns=${h.ns} ;;`).join('\n');
    writeFileSync(agent, `#!/bin/sh\nhost=$1\nshift\ncase $host in\n${cases}\n  *) echo "netns-agent: unknown host $host" >&2; exit 1 ;;\nesac\nexec ip netns exec "$ns" sh -c "$*"\n`);
    chmodSync(agent, 0o755);
    const hostfile = join(dir, 'hosts');
    writeFileSync(hostfile, hosts.map((h) => `${h.addr} slots=1\n`).join(''));

    const out = tempDir();
    const net = `${subnet}.0/24`;
    const r = mpirun({
      np: 2,
      via: ['ip', 'netns', 'exec', hosts[0].ns],
      mpiArgs: ['--hostfile', hostfile, '--mca', 'plm_rsh_agent', agent, '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', net, '--mca', 'oob_tcp_if_include', net],
      command: workerCommand('train-mlp.ts', [out, '10', '256']),
    });
    assertSucceeded(r, 'training across the two namespaces');
    const [r0, r1] = rankFiles<RankResult>(out, 2) as [RankResult, RankResult];
    // Each rank ran on its own "host".
    assert.notEqual(r0.netns, r1.netns);
    assert.ok(r0.addresses.includes(hosts[0].addr), r0.addresses.join(' '));
    assert.ok(r1.addresses.includes(hosts[1].addr), r1.addresses.join(' '));
    assert.ok(!r1.addresses.includes(hosts[0].addr));
    assert.deepEqual([r0.steps, r1.steps], [10, 10]);
    assert.deepEqual(r0.params, r1.params);
    // Ranks on different hosts share no memory: their gradients went through MPI over TCP.
    assert.ok(r0.stats.buckets > 0);
    assert.equal(r0.stats.sharedBuckets, 0);

    const single = tempDir();
    assertSucceeded(mpirun({ np: 1, command: workerCommand('train-mlp.ts', [single, '10', '256']) }), 'training on one process');
    const [s] = rankFiles<RankResult>(single, 1) as [RankResult];
    for (const [k, v] of Object.entries(s.params)) v.forEach((x, i) => assert.ok(Math.abs(x - r0.params[k]![i]!) <= 1e-5, `${k}[${i}]`));
  } finally {
    for (const h of hosts) spawnSync('ip', ['netns', 'del', h.ns]);
  }
});
