// The classic scheduler reproduces protocol.md 6.3 number for number.
import { describe, expect, it } from 'vitest';
import { CLASSIC_WINDOW, ClassicScheduler, type SchedulerLink } from '../src/index.js';

function link(index: number, inFlight = 0, up = true, priority = 100): SchedulerLink {
  return { index, id: index + 1, up, priority, inFlight, srttMs: undefined };
}

describe('classic scheduler', () => {
  it('starts links at 20000 and picks the largest window / (in_flight + 1)', () => {
    const scheduler = new ClassicScheduler();
    const first = link(0, 3);
    const links = [first, link(1, 1), link(2, 0, false)];
    for (const each of links) scheduler.addLink(0, each);
    expect(scheduler.window(first)).toBe(CLASSIC_WINDOW.DEFAULT);
    expect(scheduler.select(0, links)?.index).toBe(1);
  });

  it('grows the carrying link by 29 while window-limited, and every up link by 1, per acked seq', () => {
    const scheduler = new ClassicScheduler();
    const busy = link(0, 25);
    const idle = link(1, 0);
    const down = link(2, 0, false);
    const links = [busy, idle, down];
    for (const each of links) scheduler.addLink(0, each);
    scheduler.onSrtlaAck(0, busy, 1, true, undefined, links);
    expect(scheduler.window(busy)).toBe(20_000 + 29 + 1);
    expect(scheduler.window(idle)).toBe(20_000 + 1);
    expect(scheduler.window(down)).toBe(20_000);
    // Not window-limited (in_flight * 1000 <= window): only the +1.
    const light = link(0, 5);
    scheduler.onSrtlaAck(0, light, 2, true, undefined, links);
    expect(scheduler.window(light)).toBe(20_031);
  });

  it('shrinks the carrying link by 100 per NAKed seq, never below 1000, and caps at 60000', () => {
    const scheduler = new ClassicScheduler();
    const only = link(0, 100);
    scheduler.addLink(0, only);
    for (let index = 0; index < 300; index++) scheduler.onSrtNak(0, only, index, true);
    expect(scheduler.window(only)).toBe(CLASSIC_WINDOW.MIN);
    for (let index = 0; index < 3000; index++)
      scheduler.onSrtlaAck(0, only, index, true, undefined, [only]);
    expect(scheduler.window(only)).toBe(CLASSIC_WINDOW.MAX);
  });

  it('restarts a link that timed out at 1000, and weighs by priority', () => {
    const scheduler = new ClassicScheduler();
    const a = link(0, 0, true, 100);
    const b = link(1, 0, true, 300);
    scheduler.addLink(0, a);
    scheduler.addLink(0, b);
    scheduler.linkUp(0, a, true);
    expect(scheduler.window(a)).toBe(CLASSIC_WINDOW.AFTER_TIMEOUT);
    expect(scheduler.select(0, [a, b])?.index).toBe(1);
    expect(scheduler.select(0, [a, link(1, 0, true, 0)])?.index).toBe(0);
  });
});
