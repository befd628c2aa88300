import type { Clock } from '../../src/core/ports';

/** Time for SLA tests is set, never waited for. */
export class FixedClock implements Clock {
  private t: number;
  constructor(start: string | Date) {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: string | Date): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceMinutes(m: number): void {
    this.t += m * 60_000;
  }
  /** For tests sharing one clock: time only moves forward, so an earlier test's clocks can't fire into a later one. */
  moveTo(at: Date): void {
    if (at.getTime() < this.t) throw new Error(`the clock would go back from ${new Date(this.t).toISOString()} to ${at.toISOString()}`);
    this.t = at.getTime();
  }
}

/** A wall-clock time in Moscow (the default calendar's zone: UTC+3, no DST) as an instant. */
export const msk = (date: string, hm: string) => new Date(`${date}T${hm}:00+03:00`);
export const iso = (date: string, hm: string) => msk(date, hm).toISOString();
