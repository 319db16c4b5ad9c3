// The README's demo narrates a captured session through @bond/wire; it must tell the story the
// capture holds: two links, one group, registration in the order protocol.md 4.1 gives.
import { describe, expect, it } from 'vitest';
import { replayCapture } from '../demo/replay-capture.mjs';

interface Replay {
  lines: string[];
  counts: Map<string, number>;
  links: string[];
}

describe('demo: replay of a captured SRTLA session', () => {
  const replay = (replayCapture as () => Replay)();

  it('shows both links joining one group', () => {
    expect(replay.links).toHaveLength(2);
    expect(replay.lines.filter((line) => line.includes('REG3'))).toHaveLength(2);
    expect(replay.lines.some((line) => line.includes('first half matches the sender id'))).toBe(
      true,
    );
  });

  it('narrates registration in protocol order: probe, REG1, group, join, up', () => {
    const order = ['REG2 ', 'NGP ', 'REG1 ', 'receiver creates the group', 'REG3 '];
    const positions = order.map((marker) => replay.lines.findIndex((l) => l.includes(marker)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('classifies every datagram, none unknown', () => {
    expect(replay.counts.get('unknown')).toBeUndefined();
    expect(replay.counts.get('srt-data')).toBe(120);
    expect(replay.counts.get('srtla-reg1')).toBe(1);
  });
});
