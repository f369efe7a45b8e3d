// Proves, end to end through the fabric, that `kill -9` loses nothing acknowledged: a client sends
// heartbeats to a host actor of a real `cumulo up` over MQTT, the test SIGKILLs the process after a
// seeded random number of acknowledgements, restarts it on the same data dir, and checks that the
// actor's persisted count covers every acknowledged heartbeat (and no more than were sent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminSession, startCumulo, type CumuloProcess } from '../helpers/cumulo-process.js';

const CYCLES = 5;
const CONCURRENCY = 16;

async function heartbeatsUntilKilled(proc: CumuloProcess, killAfter: number, clientId: string): Promise<{ acked: number; sent: number }> {
  const session = await adminSession(proc, clientId, { timeoutMs: 1000, reconnectPeriodMs: 60_000 });
  let acked = 0;
  let sent = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    while (!killed) {
      sent++;
      const r = await session.ask('host', 'host-1', 'heartbeat', {});
      if (!r.ok) return; // the process is gone: this one may or may not have been applied
      acked++;
      if (acked >= killAfter && !killed) {
        killed = true;
        proc.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await proc.exited;
  await session.close();
  return { acked, sent };
}

test('kill -9 of cumulo up loses no acknowledged change', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cumulo-kill-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let seed = 20251125;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let ackedTotal = 0;
  let sentTotal = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const proc = await startCumulo(dataDir, ['--hosts', '1']);
    t.after(() => proc.child.kill('SIGKILL'));
    const { acked, sent } = await heartbeatsUntilKilled(proc, 20 + Math.floor(random() * 300), `kill-${cycle}`);
    assert.ok(acked > 0);
    ackedTotal += acked;
    sentTotal += sent;
  }
  const last = await startCumulo(dataDir, ['--hosts', '1']);
  t.after(() => last.child.kill('SIGKILL'));
  const session = await adminSession(last, 'kill-check');
  t.after(() => session.close());
  const seen = await session.ask('host', 'host-1', 'describe', {});
  assert.ok(seen.ok, JSON.stringify(seen));
  const heartbeats = (seen.value as { heartbeats: number }).heartbeats;
  // Each of the CYCLES restarts adds the host's start-up check-in (the first start registers it).
  assert.ok(heartbeats >= ackedTotal + CYCLES, `persisted ${heartbeats} < acknowledged ${ackedTotal} + ${CYCLES} check-ins`);
  assert.ok(heartbeats <= sentTotal + CYCLES, `persisted ${heartbeats} > sent ${sentTotal} + ${CYCLES} check-ins`);
  last.child.kill('SIGTERM');
  assert.equal((await last.exited).code, 0);
});
