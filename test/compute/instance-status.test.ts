// The server status table, exhaustively: every phase × transition answers as the table says,
// every phase is reachable from BUILD/scheduling and can reach DELETED, builds can end ACTIVE or
// ERROR, every task under way has a way to finish, refusals use Nova's conflict wording, and
// random walks (fast-check) never leave the table's phases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CREATED,
  PHASES,
  STATUSES,
  TASK_STATES,
  TRANSITIONS,
  invalidStateMessage,
  keyOf,
  phaseOf,
  transition,
  vmStateOf,
  type PhaseKey,
  type Transition,
} from '../../actors/compute/instance-status.js';

const ALL = Object.keys(TRANSITIONS) as Transition[];

function successors(key: PhaseKey): PhaseKey[] {
  const out: PhaseKey[] = [];
  for (const t of ALL) {
    const r = transition(phaseOf(key), t);
    if (r.ok) out.push(keyOf(r.phase));
  }
  return out;
}

function reachable(from: PhaseKey): Set<PhaseKey> {
  const seen = new Set<PhaseKey>([from]);
  const queue = [from];
  for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
    for (const next of successors(k)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

void test('every phase × transition answers exactly what the table lists', () => {
  for (const key of PHASES) {
    for (const t of ALL) {
      const rows = TRANSITIONS[t].filter(([from]) => from === key);
      assert.ok(rows.length <= 1, `${t} has one row at most from ${key}`);
      const r = transition(phaseOf(key), t);
      if (rows.length === 1) {
        assert.ok(r.ok, `${t} from ${key}`);
        assert.equal(keyOf(r.phase), rows[0]![1]);
      } else {
        assert.ok(!r.ok, `${t} from ${key} must be refused`);
      }
    }
  }
});

void test('the table names only known phases, and uses every status and task state', () => {
  for (const t of ALL) for (const [from] of TRANSITIONS[t]) assert.ok(PHASES.includes(from), `${t} starts from unknown phase ${from}`);
  const statuses = new Set(PHASES.map((k) => phaseOf(k).status));
  assert.deepEqual([...statuses].sort(), [...STATUSES].sort());
  const tasks = new Set(PHASES.map((k) => phaseOf(k).taskState).filter((s) => s !== null));
  assert.deepEqual([...tasks].sort(), [...TASK_STATES].sort());
  // BUILD only with build tasks (or deleting); DELETED only at rest.
  for (const key of PHASES) {
    const { status, taskState } = phaseOf(key);
    if (status === 'BUILD') assert.ok(['scheduling', 'networking', 'block_device_mapping', 'spawning', 'deleting'].includes(taskState ?? ''), key);
    if (status === 'DELETED') assert.equal(taskState, null);
    if (status === 'REBOOT') assert.equal(taskState, 'rebooting');
    if (status === 'HARD_REBOOT') assert.equal(taskState, 'rebooting_hard');
  }
});

void test('every phase is reachable from the start, and DELETED is reachable from every phase and final', () => {
  const fromStart = reachable(keyOf(CREATED));
  assert.deepEqual([...fromStart].sort(), [...PHASES].sort());
  for (const key of PHASES) {
    if (key === 'DELETED/-') assert.deepEqual(successors(key), []);
    else assert.ok(reachable(key).has('DELETED/-'), `DELETED from ${key}`);
  }
});

void test('a build can end ACTIVE or ERROR from each of its task states, and every task under way can finish', () => {
  for (const key of PHASES) {
    const { status, taskState } = phaseOf(key);
    const ahead = reachable(key);
    if (status === 'BUILD' && taskState !== 'deleting') {
      assert.ok(ahead.has('ACTIVE/-'), `ACTIVE from ${key}`);
      assert.ok(successors(key).includes('ERROR/-'), `ERROR straight from ${key}`);
    }
    if (taskState !== null) {
      // Something other than delete settles it.
      const settles = ALL.filter((t) => t !== 'delete').some((t) => {
        const r = transition(phaseOf(key), t);
        return r.ok && r.phase.taskState === null;
      });
      assert.ok(settles, `a way to settle ${key}`);
    }
  }
});

void test('refusals name the vm_state, or the task_state when the server is busy, in Nova words', () => {
  const id = '5f0e3d8a-0000-4000-8000-000000000001';
  const cases: Array<[PhaseKey, Transition, string, string]> = [
    ['SHUTOFF/-', 'stop', 'stop', `Cannot 'stop' instance ${id} while it is in vm_state stopped`],
    ['BUILD/spawning', 'stop', 'stop', `Cannot 'stop' instance ${id} while it is in vm_state building`],
    ['REBOOT/rebooting', 'stop', 'stop', `Cannot 'stop' instance ${id} while it is in task_state rebooting`],
    ['ACTIVE/-', 'start', 'start', `Cannot 'start' instance ${id} while it is in vm_state active`],
    ['ACTIVE/powering-off', 'rebootSoft', 'reboot', `Cannot 'reboot' instance ${id} while it is in task_state powering-off`],
    ['REBOOT/rebooting', 'rebootSoft', 'reboot', `Cannot 'reboot' instance ${id} while it is in task_state rebooting`],
    ['SHUTOFF/-', 'rebootSoft', 'reboot', `Cannot 'reboot' instance ${id} while it is in vm_state stopped`],
    ['HARD_REBOOT/rebooting_hard', 'rebootHard', 'reboot', `Cannot 'reboot' instance ${id} while it is in task_state rebooting_hard`],
    ['ERROR/-', 'start', 'start', `Cannot 'start' instance ${id} while it is in vm_state error`],
    ['ACTIVE/deleting', 'delete', 'delete', `Cannot 'delete' instance ${id} while it is in task_state deleting`],
    ['DELETED/-', 'delete', 'delete', `Cannot 'delete' instance ${id} while it is in vm_state deleted`],
  ];
  for (const [key, t, action, message] of cases) {
    const r = transition(phaseOf(key), t);
    assert.ok(!r.ok, `${t} from ${key}`);
    assert.equal(invalidStateMessage(action, id, r.invalid), message);
  }
});

void test('vm_state follows Nova (REBOOT and HARD_REBOOT are active)', () => {
  assert.deepEqual(
    STATUSES.map((s) => vmStateOf(s)),
    ['building', 'active', 'stopped', 'active', 'active', 'error', 'deleted'],
  );
});

void test('random walks stay within the table (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...ALL), { maxLength: 60 }), (steps) => {
      let phase = CREATED;
      for (const t of steps) {
        const r = transition(phase, t);
        if (!r.ok) {
          assert.ok(r.invalid.attr === 'vm_state' ? r.invalid.state === vmStateOf(phase.status) : r.invalid.state === phase.taskState);
          continue;
        }
        assert.ok(PHASES.includes(keyOf(r.phase)));
        phase = r.phase;
      }
    }),
    { numRuns: 500 },
  );
});
