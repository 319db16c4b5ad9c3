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

  /** Queues `bytes` for link `linkId`'s socket, or for the encoder ({@link ENCODER}); no copy. */
  send(linkId: number, bytes: Uint8Array): void {
    const slot = this.transmits.push();
    slot.linkId = linkId;
    slot.bytes = bytes;
  }

  event(event: SenderEvent): void {
    this.events.push(event);
  }

  /** The next datagram to send, or undefined. The returned object is reused: read it now. */
  nextTransmit(): SenderTransmit | undefined {
    return this.transmits.shift();
  }

  nextEvent(): SenderEvent | undefined {
    return this.events.shift();
  }
}
