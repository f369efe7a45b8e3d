// A restart budget in the Erlang/Akka sense: at most `intensity` restarts within any window of
// `periodMs` on the Clock; the failure that would exceed it exhausts the budget and escalates.

export class RestartBudget {
  /** Clock times of the restarts still inside the window, oldest first. */
  private readonly times: number[] = [];

  constructor(
    private readonly intensity: number,
    private readonly periodMs: number,
  ) {}

  /**
   * Records a restart at `now`. Returns its attempt number within the window (1 for the first,
   * which drives the backoff), or 0 when the budget is exhausted (nothing is recorded then).
   */
  record(now: number): number {
    const t = this.times;
    while (t.length > 0 && t[0]! <= now - this.periodMs) t.shift();
    if (t.length >= this.intensity) return 0;
    t.push(now);
    return t.length;
  }

  reset(): void {
    this.times.length = 0;
  }
}
