// Proves that SIGTERM and SIGINT to a real `cumulo up` drain the requests in flight (their
// replies arrive), persist every acknowledged change (a restart on the same data dir sees it),
// close the broker last (after the drained replies went out), and exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminSession, startCumulo, type CumuloProcess } from '../helpers/cumulo-process.js';

async function client(proc: CumuloProcess, clientId: string) {
  const session = await adminSession(proc, clientId, { timeoutMs: 10_000 });
  return { session, ask: (type: string) => session.ask('host', 'host-1', type, {}) };
}

function phases(logs: readonly string[]): string[] {
  return logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { phase?: string };
      return entry.phase === undefined ? [] : [entry.phase];
    } catch {
      return [];
    }
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} drains in-flight requests, persists, closes the broker last`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cumulo-shutdown-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const proc = await startCumulo(dataDir, ['--hosts', '1']);
    t.after(() => proc.child.kill('SIGKILL'));
    assert.equal(statSync(join(dataDir, 'openrc')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'clouds.yaml')).mode & 0o777, 0o600);

    const c = await client(proc, `shutdown-${signal.toLowerCase()}`);
    t.after(() => c.session.close());
    const sent = 300;
    let signalled = false;
    let repliedAfterSignal = 0;
    const asks = Array.from({ length: sent }, () =>
      c.ask('heartbeat').then((r) => {
        if (signalled && r.ok) repliedAfterSignal++;
        if (!signalled) {
          // The first reply means work is flowing: signal while the rest are in flight.
          signalled = true;
          proc.child.kill(signal);
        }
        return r;
      }),
    );
    const results = await Promise.all(asks);
    const exit = await proc.exited;
    assert.equal(exit.code, 0, `exit ${exit.code ?? exit.signal}; log:\n${proc.logs.slice(-20).join('\n')}`);
    assert.deepEqual(phases(proc.logs), ['draining', 'drained', 'persisted', 'broker-closed']);

    const acked = results.filter((r) => r.ok).length;
    assert.ok(repliedAfterSignal > 0, 'some requests in flight at the signal were answered (drained)');
    for (const r of results) if (!r.ok) assert.ok(['DRAINING', 'UNAVAILABLE', 'TIMEOUT'].includes(r.error.code), r.error.code);

    // Every acknowledged heartbeat is durable: the restarted fabric counts at least as many.
    const again = await startCumulo(dataDir, ['--hosts', '1']);
    t.after(() => again.child.kill('SIGKILL'));
    const c2 = await client(again, `after-${signal.toLowerCase()}`);
    t.after(() => c2.session.close());
    const seen = await c2.ask('describe');
    assert.ok(seen.ok);
    const heartbeats = (seen.value as { heartbeats: number }).heartbeats;
    // + 1: the check-in of every registered host when the fabric starts again.
    assert.ok(heartbeats >= acked + 1 && heartbeats <= sent + 1, `heartbeats ${heartbeats}, acknowledged ${acked}, sent ${sent}`);
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0);
  });
}
