// The life of a Nova server as data: its status and task_state unions, the explicit table of
// every allowed transition (from phase → to phase), and the vm_state names Nova's conflict
// messages use. Pure: the instance actor asks `transition()` before every change it persists.

export const STATUSES = ['BUILD', 'ACTIVE', 'SHUTOFF', 'REBOOT', 'HARD_REBOOT', 'ERROR', 'DELETED'] as const;
export type InstanceStatus = (typeof STATUSES)[number];

export const TASK_STATES = [
  'scheduling',
  'networking',
  'block_device_mapping',
  'spawning',
  'deleting',
  'powering-off',
  'powering-on',
  'rebooting',
  'rebooting_hard',
] as const;
export type TaskState = (typeof TASK_STATES)[number] | null;

/** Nova's vm_state, from which Nova derives the status the API shows. */
export type VmState = 'building' | 'active' | 'stopped' | 'error' | 'deleted';

export interface Phase {
  readonly status: InstanceStatus;
  readonly taskState: TaskState;
}

/** A phase written `STATUS/task`, `-` for no task: the table's notation. */
export type PhaseKey = `${InstanceStatus}/${Exclude<TaskState, null> | '-'}`;

/** What can happen to a server: user actions and the workflow's own steps. */
export type Transition =
  | 'scheduled'
  | 'networked'
  | 'mapped'
  | 'spawned'
  | 'reschedule'
  | 'buildFailed'
  | 'stop'
  | 'stopped'
  | 'start'
  | 'started'
  | 'powerFailed'
  | 'rebootSoft'
  | 'rebootHard'
  | 'rebooted'
  | 'rebootFailed'
  | 'delete'
  | 'deleted';

/** Where a new server starts. */
export const CREATED: Phase = { status: 'BUILD', taskState: 'scheduling' };

type Pair = readonly [PhaseKey, PhaseKey];

// Delete is allowed from every phase but DELETED and deleting itself (Nova deletes servers in
// any state); the vm_state stays what it was, so REBOOT and HARD_REBOOT show as ACTIVE.
const DELETE_FROM: readonly Pair[] = [
  ['BUILD/scheduling', 'BUILD/deleting'],
  ['BUILD/networking', 'BUILD/deleting'],
  ['BUILD/block_device_mapping', 'BUILD/deleting'],
  ['BUILD/spawning', 'BUILD/deleting'],
  ['ACTIVE/-', 'ACTIVE/deleting'],
  ['ACTIVE/powering-off', 'ACTIVE/deleting'],
  ['SHUTOFF/-', 'SHUTOFF/deleting'],
  ['SHUTOFF/powering-on', 'SHUTOFF/deleting'],
  ['REBOOT/rebooting', 'ACTIVE/deleting'],
  ['HARD_REBOOT/rebooting_hard', 'ACTIVE/deleting'],
  ['ERROR/-', 'ERROR/deleting'],
  ['ERROR/powering-off', 'ERROR/deleting'],
];

/** Every allowed change, and nothing else. */
export const TRANSITIONS: Readonly<Record<Transition, readonly Pair[]>> = {
  scheduled: [['BUILD/scheduling', 'BUILD/networking']],
  networked: [['BUILD/networking', 'BUILD/block_device_mapping']],
  mapped: [['BUILD/block_device_mapping', 'BUILD/spawning']],
  spawned: [['BUILD/spawning', 'ACTIVE/-']],
  // A host that failed the boot: back to scheduling, on another host.
  reschedule: [
    ['BUILD/networking', 'BUILD/scheduling'],
    ['BUILD/block_device_mapping', 'BUILD/scheduling'],
    ['BUILD/spawning', 'BUILD/scheduling'],
  ],
  buildFailed: [
    ['BUILD/scheduling', 'ERROR/-'],
    ['BUILD/networking', 'ERROR/-'],
    ['BUILD/block_device_mapping', 'ERROR/-'],
    ['BUILD/spawning', 'ERROR/-'],
  ],
  // Nova stops ACTIVE and ERROR servers (an ERROR server may still run).
  stop: [
    ['ACTIVE/-', 'ACTIVE/powering-off'],
    ['ERROR/-', 'ERROR/powering-off'],
  ],
  stopped: [
    ['ACTIVE/powering-off', 'SHUTOFF/-'],
    ['ERROR/powering-off', 'SHUTOFF/-'],
  ],
  start: [['SHUTOFF/-', 'SHUTOFF/powering-on']],
  started: [['SHUTOFF/powering-on', 'ACTIVE/-']],
  // The hypervisor refused a stop or start: the task is reverted, the vm_state kept (Nova's
  // reverts_task_state).
  powerFailed: [
    ['ACTIVE/powering-off', 'ACTIVE/-'],
    ['ERROR/powering-off', 'ERROR/-'],
    ['SHUTOFF/powering-on', 'SHUTOFF/-'],
  ],
  rebootSoft: [['ACTIVE/-', 'REBOOT/rebooting']],
  // Hard reboot also recovers stopped and errored servers, and overrides a soft reboot.
  rebootHard: [
    ['ACTIVE/-', 'HARD_REBOOT/rebooting_hard'],
    ['SHUTOFF/-', 'HARD_REBOOT/rebooting_hard'],
    ['ERROR/-', 'HARD_REBOOT/rebooting_hard'],
    ['REBOOT/rebooting', 'HARD_REBOOT/rebooting_hard'],
  ],
  rebooted: [
    ['REBOOT/rebooting', 'ACTIVE/-'],
    ['HARD_REBOOT/rebooting_hard', 'ACTIVE/-'],
  ],
  // A failed reboot leaves the server in ERROR, as in Nova.
  rebootFailed: [
    ['REBOOT/rebooting', 'ERROR/-'],
    ['HARD_REBOOT/rebooting_hard', 'ERROR/-'],
  ],
  delete: DELETE_FROM,
  deleted: [
    ['BUILD/deleting', 'DELETED/-'],
    ['ACTIVE/deleting', 'DELETED/-'],
    ['SHUTOFF/deleting', 'DELETED/-'],
    ['ERROR/deleting', 'DELETED/-'],
  ],
};

export function keyOf(phase: Phase): PhaseKey {
  return `${phase.status}/${phase.taskState ?? '-'}`;
}

export function phaseOf(key: PhaseKey): Phase {
  const slash = key.indexOf('/');
  const task = key.slice(slash + 1);
  return { status: key.slice(0, slash) as InstanceStatus, taskState: task === '-' ? null : (task as Exclude<TaskState, null>) };
}

/** Every phase a server can be in: the start and every transition's target. */
export const PHASES: readonly PhaseKey[] = [
  ...new Set<PhaseKey>([keyOf(CREATED), ...Object.values(TRANSITIONS).flatMap((pairs) => pairs.map(([, to]) => to))]),
];

export function vmStateOf(status: InstanceStatus): VmState {
  switch (status) {
    case 'BUILD':
      return 'building';
    case 'ACTIVE':
    case 'REBOOT':
    case 'HARD_REBOOT':
      return 'active';
    case 'SHUTOFF':
      return 'stopped';
    case 'ERROR':
      return 'error';
    case 'DELETED':
      return 'deleted';
    default: {
      const never: never = status;
      throw new Error(`unknown status ${String(never)}`);
    }
  }
}

/** Why a transition is not allowed, in the terms of Nova's conflict message. */
export interface InvalidState {
  readonly attr: 'vm_state' | 'task_state';
  readonly state: string;
}

export type TransitionResult = { readonly ok: true; readonly phase: Phase } | { readonly ok: false; readonly invalid: InvalidState };

/**
 * The phase `t` leads to from `phase`, or why it cannot happen: the task_state when some phase of
 * the same vm_state would allow it (a server busy with another task), the vm_state otherwise.
 */
export function transition(phase: Phase, t: Transition): TransitionResult {
  const from = keyOf(phase);
  const pairs = TRANSITIONS[t];
  for (const [source, target] of pairs) if (source === from) return { ok: true, phase: phaseOf(target) };
  const vm = vmStateOf(phase.status);
  const busy = phase.taskState !== null && pairs.some(([source]) => vmStateOf(phaseOf(source).status) === vm);
  return { ok: false, invalid: busy ? { attr: 'task_state', state: phase.taskState ?? 'none' } : { attr: 'vm_state', state: vm } };
}

/** Nova's wording (common.raise_http_conflict_for_instance_invalid_state). */
export function invalidStateMessage(action: string, instanceId: string, invalid: InvalidState): string {
  return `Cannot '${action}' instance ${instanceId} while it is in ${invalid.attr} ${invalid.state}`;
}

/** A phase the server rests in (no task under way). */
export function isSettled(phase: Phase): boolean {
  return phase.taskState === null;
}
