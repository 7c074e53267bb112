/**
 * Keeps reads (the list, a further page, the totals) from putting back what a change (a
 * tick, a new task, a deletion) did, whatever order their answers arrive in.
 *
 * A change is bracketed by `begin()` and the function it returns. A read's answer is handed
 * back only if no change started or ended while the read was on its way; otherwise the read
 * is made again once every change has ended, and that answer is the one handed back. A read
 * asked for during a change waits for it to end first. So the screen never goes back to the
 * tasks as they were before a change the user has already seen.
 */
export class FreshReads {
  /** Bumped when a change starts and when it ends: a read that saw it move is stale. */
  private changes = 0;
  private changing = 0;
  private waiting: (() => void)[] = [];

  /** A change starts; call the function returned once it has ended, whatever the outcome. */
  begin(): () => void {
    this.changes++;
    this.changing++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.changes++;
      this.changing--;
      if (this.changing === 0) for (const wake of this.waiting.splice(0)) wake();
    };
  }

  /** The answer of `request()`, made again until no change overlapped it. A failed request
   * fails the read. */
  async read<T>(request: () => Promise<T>): Promise<T> {
    for (;;) {
      while (this.changing > 0) await new Promise<void>((wake) => this.waiting.push(wake));
      const seen = this.changes;
      const answer = await request();
      if (this.changes === seen) return answer;
    }
  }
}
