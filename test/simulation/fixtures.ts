// Scenarios the simulator's tests share, as objects of the scenario file's shape, and Erlang's
// loss formula with an exact event-by-event model of the same loss system to check runs against.

/** A homogeneous cluster of `c` one-slot hosts (the M/M/c/c system) under offered load `a` Erlangs. */
export function lossSystem(c: number, a: number, count: number, mode: 'full' | 'placement', seed = 3): Record<string, unknown> {
  return {
    name: `mmcc-c${c}-a${a}`,
    mode,
    seed,
    hosts: [{ count: c, vcpus: 4, ramMb: 8192, diskGb: 100, allocationRatios: { cpu: 1, ram: 1, disk: 1 } }],
    flavors: [{ name: 'slot', vcpus: 4, ramMb: 8192, diskGb: 10 }],
    // Mean holding time 1 s, so the rate in requests per second is the offered load in Erlangs.
    workloads: [{ name: 'calls', count, arrivals: { rate: a }, lifetime: { distribution: 'exponential', mean: 1 }, flavors: { slot: 1 } }],
    report: { warmup: 10 },
  };
}

/** Erlang's B formula: the blocking probability of c servers under a Erlangs (stable recursion). */
export function erlangB(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

/** A small mixed cluster: two zones, three flavors, departures, a few hundred requests. */
export function smallCluster(mode: 'full' | 'placement', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'small',
    mode,
    seed: 11,
    duration: '2h',
    hosts: [
      { count: 4, name: 'a', zone: 'az1', vcpus: 16, ramMb: 65536, diskGb: 1000, allocationRatios: { cpu: 2, ram: 1 } },
      { count: 3, name: 'b', zone: 'az2', vcpus: 32, ramMb: 131072, diskGb: 2000, allocationRatios: { cpu: 2, ram: 1 } },
    ],
    workloads: [
      { name: 'web', arrivals: { rate: 120, per: 'hour' }, lifetime: { distribution: 'exponential', mean: '40m' }, flavors: { 'm1.small': 2, 'm1.medium': 2, 'm1.large': 1 } },
      { name: 'db', arrivals: { rate: 20, per: 'hour' }, lifetime: { distribution: 'uniform', min: '20m', max: '2h' }, flavors: { 'm1.xlarge': 1 }, zone: 'az2' },
    ],
    report: { sampleEvery: '5m' },
    ...extra,
  };
}
