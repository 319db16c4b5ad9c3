/**
 * What the sender engine has for the runtime: datagrams to send (on a link, or back to the
 * encoder) and events, in order.
 */
import { SlotQueue } from './slot-queue.js';
import { ENCODER, type SenderEvent, type SenderTransmit } from './sender-types.js';

export class SenderOutbox {
  private readonly transmits = new SlotQueue<SenderTransmit>(() => ({
    linkId: ENCODER,
    bytes: new Uint8Array(0),
  }));
  private readonly events: SenderEvent[] = [];

  /**
   * Datagrams queued so far, and how many of them the runtime has read: a buffer queued as the
   * `queued`-th is no longer referenced here once `read` reaches that number (the runtime copies
   * or sends what it reads before it asks for the next).
   */
  queued = 0;
  read = 0;

  /** Queues `bytes` for link `linkId`'s socket, or for the encoder ({@link ENCODER}); no copy. */
  send(linkId: number, bytes: Uint8Array): void {
    const slot = this.transmits.push();
    slot.linkId = linkId;
    slot.bytes = bytes;
    this.queued++;
  }

  event(event: SenderEvent): void {
    this.events.push(event);
  }

  /** The next datagram to send, or undefined. The returned object is reused: read it now. */
  nextTransmit(): SenderTransmit | undefined {
    const transmit = this.transmits.shift();
    if (transmit !== undefined) this.read++;
    return transmit;
  }

  nextEvent(): SenderEvent | undefined {
    return this.events.shift();
  }
}
