/**
 * The sender's links: by id for the runtime, by dense index for the scheduler and the sent-packet
 * log (indexes of removed links are reused, so per-link arrays stay short).
 */
import type { SentPacketLogOwner } from './sent-packet-log.js';
import { SenderLink } from './sender-link.js';
import type { SenderLinkConfig } from './sender-types.js';

export class SenderLinks implements SentPacketLogOwner {
  /** Every link, in the order they were added (what the scheduler iterates). */
  readonly all: SenderLink[] = [];
  private readonly byId = new Map<number, SenderLink>();
  private readonly byIndex: (SenderLink | undefined)[] = [];
  private readonly freeIndexes: number[] = [];

  /** Creates a link at a free index. The caller checked that the id is not in use. */
  add(config: SenderLinkConfig, reg2RetryMs: number): SenderLink {
    const index = this.freeIndexes.pop() ?? this.byIndex.length;
    const link = new SenderLink(index, config, reg2RetryMs);
    this.all.push(link);
    this.byId.set(config.id, link);
    this.byIndex[index] = link;
    return link;
  }

  remove(link: SenderLink): void {
    this.byId.delete(link.id);
    this.all.splice(this.all.indexOf(link), 1);
    this.byIndex[link.index] = undefined;
    this.freeIndexes.push(link.index);
  }

  get(id: number): SenderLink | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  atIndex(index: number): SenderLink | undefined {
    return this.byIndex[index];
  }

  /** How many links are up. */
  up(): number {
    let up = 0;
    for (const link of this.all) if (link.state === 'up') up++;
    return up;
  }

  /** Datagrams sent on every link. */
  totalSent(): number {
    let total = 0;
    for (const link of this.all) total += link.packetsSent;
    return total;
  }

  /** SentPacketLogOwner: keeps each link's in-flight count equal to its packets in the log. */
  onRemoved(linkIndex: number): void {
    const link = this.byIndex[linkIndex];
    if (link !== undefined && link.inFlight > 0) link.inFlight--;
  }
}
