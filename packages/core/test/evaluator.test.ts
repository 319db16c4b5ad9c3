// The evaluator: idle is unknown, only evidence lowers a score, smoothing and hysteresis, and the
// public receiver's compatibility tables.
import { describe, expect, it } from 'vitest';
import { EMPTY_OBSERVATION, Evaluator, type LinkObservation } from '../src/index.js';

function observation(partial: Partial<LinkObservation>): LinkObservation {
  return { ...EMPTY_OBSERVATION, ageMs: 60_000, ...partial };
}

/** Drives one link for `seconds` with `pps` packets/s, `lossRatio` of them NAKed, from `start`. */
function drive(
  evaluator: Evaluator,
  state: { t: number; received: number; sent: number; naked: number },
  seconds: number,
  pps: number,
  lossRatio: number,
  queueingUs = 0,
) {
  for (let second = 0; second < seconds; second++) {
    state.t += 1000;
    state.sent += pps;
    state.received += Math.round(pps * (1 - lossRatio));
    state.naked += Math.round(pps * lossRatio);
    evaluator.evaluate(
      state.t,
      new Map([
        [
          1,
          observation({
            packetsReceived: state.received,
            bytesReceived: state.received * 1332,
            senderPacketsSent: state.sent,
            senderPacketsNaked: state.naked,
            queueingDelayUs: queueingUs,
          }),
        ],
      ]),
    );
  }
}

describe('evaluator (bond)', () => {
  it('starts unknown, rises on clean traffic, and falls only on evidence', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    expect(evaluator.score(1).score).toBe(500);
    drive(evaluator, state, 15, 500, 0);
    expect(evaluator.score(1).score).toBeGreaterThan(950);
    expect(evaluator.score(1).level).toBe('good');
    drive(evaluator, state, 10, 500, 0.2);
    expect(evaluator.score(1).score).toBeLessThan(150);
    expect(evaluator.score(1).level).toBe('poor');
    expect(evaluator.score(1).reason).toMatch(/^loss 20\.0%/);
  });

  it('takes deltas from a copy: a caller may rewrite one observation record every period', () => {
    // The receiver reuses one record per link slot; the evaluator must keep its own copy of the
    // previous values, or every period would look idle (a delta of 0 against itself).
    const reused = new Evaluator('bond');
    const fresh = new Evaluator('bond');
    const record = { ...observation({}) };
    let received = 0;
    let sent = 0;
    let naked = 0;
    for (let second = 1; second <= 12; second++) {
      sent += 500;
      received += second <= 6 ? 500 : 400;
      naked += second <= 6 ? 0 : 100;
      const values = {
        packetsReceived: received,
        bytesReceived: received * 1332,
        senderPacketsSent: sent,
        senderPacketsNaked: naked,
      };
      Object.assign(record, values);
      reused.evaluate(second * 1000, new Map([[1, record]]));
      fresh.evaluate(second * 1000, new Map([[1, observation(values)]]));
      expect(reused.score(1)).toEqual(fresh.score(1));
      expect(reused.level(1)).toBe(fresh.score(1).level);
    }
    expect(reused.score(1).reason).toMatch(/^loss 20\.0%/);
    expect(reused.level(1)).toBe('poor');
  });

  it('does not punish an idle link: no traffic is no evidence, and the score is kept', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    drive(evaluator, state, 15, 500, 0);
    const before = evaluator.score(1).score;
    drive(evaluator, state, 30, 0, 0);
    expect(evaluator.score(1).score).toBe(before);
    expect(evaluator.score(1).reason).toMatch(/idle/);
  });

  it('lets a recovered link show it: clean traffic after loss brings the score back', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    drive(evaluator, state, 10, 500, 0.2);
    expect(evaluator.score(1).level).toBe('poor');
    drive(evaluator, state, 3, 50, 0);
    drive(evaluator, state, 12, 500, 0);
    expect(evaluator.score(1).score).toBeGreaterThan(900);
    expect(evaluator.score(1).level).toBe('good');
  });

  it('smooths: one bad period moves the score by at most a third of the way (time constant 3 s)', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    drive(evaluator, state, 20, 500, 0);
    const before = evaluator.score(1).score;
    drive(evaluator, state, 1, 500, 0.5);
    const after = evaluator.score(1).score;
    const expectedStep = before * (1 - Math.exp(-1000 / 3000));
    expect(before - after).toBeCloseTo(expectedStep, -1);
    expect(evaluator.score(1).level).toBe('fair');
  });

  it('changes level only past the hysteresis band', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    drive(evaluator, state, 20, 500, 0);
    expect(evaluator.score(1).level).toBe('good');
    // Loss that settles the score just under 800 (but above 750) keeps it "good".
    drive(evaluator, state, 30, 500, 0.045);
    const score = evaluator.score(1).score;
    expect(score).toBeGreaterThan(750);
    expect(score).toBeLessThan(800);
    expect(evaluator.score(1).level).toBe('good');
  });

  it('counts queueing delay above 100 ms against a link', () => {
    const evaluator = new Evaluator('bond');
    const state = { t: 0, received: 0, sent: 0, naked: 0 };
    drive(evaluator, state, 20, 500, 0, 400_000);
    expect(evaluator.score(1).score).toBeLessThan(700);
    expect(evaluator.score(1).reason).toMatch(/queueing 400 ms/);
  });
});

describe('evaluator (compatibility tables)', () => {
  function compat(
    kbps: [number, number],
    mode: 'compat-legacy' | 'compat-telemetry',
    rttMs?: number,
  ) {
    const evaluator = new Evaluator(mode);
    const bytes = [0, 0];
    for (let t = 0; t <= 20_000; t += 1000) {
      bytes[0] = (bytes[0] ?? 0) + (kbps[0] * 1000) / 8;
      bytes[1] = (bytes[1] ?? 0) + (kbps[1] * 1000) / 8;
      evaluator.evaluate(
        t,
        new Map(
          [0, 1].map((index) => [
            index,
            observation({
              packetsReceived: Math.round((bytes[index] ?? 0) / 1332),
              bytesReceived: bytes[index] ?? 0,
              senderRttMs: rttMs,
              ageMs: t + 1000,
            }),
          ]),
        ),
      );
    }
    return [evaluator.score(0), evaluator.score(1)];
  }

  it('gives a near-idle link 40 error points (weight 10) in the legacy table: the lock-out trigger', () => {
    const [busy, idle] = compat([4000, 50], 'compat-legacy');
    expect(busy?.score).toBe(1000);
    expect(idle?.score).toBe(100);
    expect(idle?.reason).toMatch(/^40 error points/);
    // The throttle factor: min(absolute, relative) with a floor of 0.2.
    expect(idle?.ackThrottle).toBeCloseTo(0.2, 5);
  });

  it('uses the lighter bandwidth table for senders with telemetry', () => {
    const [, idle] = compat([4000, 50], 'compat-telemetry', 40);
    expect(idle?.reason).toMatch(/^10 error points/);
    expect(idle?.score).toBe(700);
  });

  it('bounds loss from hostile counters to 100%, in the reason and the score', () => {
    for (const mode of ['bond', 'compat-telemetry'] as const) {
      const evaluator = new Evaluator(mode);
      const link = (t: number, received: number, nakCount: number) => {
        evaluator.evaluate(
          t,
          new Map([
            [
              1,
              observation({
                packetsReceived: received,
                bytesReceived: received * 1332,
                senderNakCount: nakCount,
              }),
            ],
          ]),
        );
      };
      link(10_000, 100, 0);
      link(20_000, 600, 0);
      // A sender claiming 4e9 NAKs in one period (compat evaluates every few seconds), then its counter going back to 0.
      link(30_000, 1100, 4_000_000_000);
      const reason = evaluator.score(1).reason;
      const percents = [...reason.matchAll(/loss ([\d.]+)%/g)].map((match) => Number(match[1]));
      expect(percents.length, reason).toBeGreaterThan(0);
      for (const percent of percents) expect(percent).toBeLessThanOrEqual(100);
      link(40_000, 1600, 0);
      expect(evaluator.score(1).score).toBeGreaterThanOrEqual(0);
      expect(evaluator.score(1).score).toBeLessThanOrEqual(1000);
    }
  });
});
