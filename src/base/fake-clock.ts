import type { Clock } from './clock.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A {@link Clock} that moves only when told to, for tests: `advance(ms)` fires, in time order, every
 * timer due by then (including timers those callbacks set within the window).
 */
export class FakeClock implements Clock {
  /** Current fake time in ms. */
  private time: number;
  /** Timers not yet fired or cancelled. */
  private timers: PendingTimer[] = [];
  /** Id of the next timer; ids order timers that are due at the same time. */
  private nextId = 0;

  /** Starts at `startMs` (ms since the epoch) with no timer pending. */
  constructor(startMs = 1_000_000) {
    this.time = startMs;
  }

  /** The current fake time; moves only in {@link FakeClock.advance}. */
  now(): number {
    return this.time;
  }

  /** Schedules `fn` at now + `delayMs` of fake time; it runs only inside {@link FakeClock.advance}. */
  setTimer(fn: () => void, delayMs: number): () => void {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
    };
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer fires, or undefined if none is pending. */
  nextTimerAt(): number | undefined {
    return this.timers.reduce<number | undefined>(
      (min, t) => (min === undefined || t.at < min ? t.at : min),
      undefined,
    );
  }

  /** Moves time forward by `ms`, firing due timers in order (ties in the order they were set). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = until;
  }
}
