/**
 * The network simulator: bond's sender engine and receiver engine connected through simulated
 * uplinks, with an SRT encoder stand-in in front and an SRT listener stand-in behind, all in
 * virtual time. Seeded and reproducible; time jumps from event to event; a drive that makes no
 * progress fails instead of hanging.
 */
import { Address, DatagramKind, classifyDatagram } from '@bond/wire';
import {
  ENCODER,
  ReceiverEngine,
  ReceiverTarget,
  SenderEngine,
  createSeededRandom,
  type RandomSource,
  type ReceiverEvent,
  type ReceiverOptions,
  type SenderEvent,
  type SenderOptions,
} from '../../src/index.js';
import { EventQueue } from './event-queue.js';
import { SimPath, type PathConfig } from './sim-path.js';
import {
  EncoderStandIn,
  ListenerStandIn,
  type EncoderConfig,
  type ListenerConfig,
} from './srt-stand-ins.js';

export interface SimLinkConfig {
  readonly id: number;
  readonly name?: string;
  readonly priority?: number;
  /** Sender -> receiver. */
  readonly up: PathConfig;
  /** Receiver -> sender. Default: the uplink's delay, no rate limit, no loss. */
  readonly down?: PathConfig;
}

export interface SimulationConfig {
  readonly seed: number;
  readonly links: readonly SimLinkConfig[];
  readonly encoder?: EncoderConfig;
  readonly listener?: ListenerConfig;
  readonly sender?: Omit<Partial<SenderOptions>, 'random'>;
  readonly receiver?: Omit<Partial<ReceiverOptions>, 'random'>;
  /** Receiver <-> listener one-way delay, ms. Default 0.1. */
  readonly upstreamDelayMs?: number;
}

export class SimulationStalledError extends Error {}

interface SimLink {
  readonly config: SimLinkConfig;
  address: Address;
  readonly up: SimPath;
  readonly down: SimPath;
  removed: boolean;
}

/** 10 ms: SRT's periodic ACK interval; 20 ms: how often the listener stand-in reports losses. */
const ACK_INTERVAL_MS = 10;
const NAK_INTERVAL_MS = 20;
/** An event loop that runs this many events without virtual time moving is stuck. */
const MAX_EVENTS_AT_ONE_INSTANT = 200_000;

export class Simulation {
  readonly queue = new EventQueue();
  readonly random: RandomSource;
  readonly sender: SenderEngine;
  receiver: ReceiverEngine;
  readonly encoder: EncoderStandIn;
  readonly listener: ListenerStandIn;
  readonly links = new Map<number, SimLink>();
  readonly senderEvents: { time: number; event: SenderEvent }[] = [];
  readonly receiverEvents: { time: number; event: ReceiverEvent }[] = [];
  /** Data packets that reached the receiver engine, and that it sent upstream. */
  receiverDataIn = 0;
  receiverDataOut = 0;
  /** Receiver datagrams addressed to no current link (an old NAT mapping): lost. */
  unroutable = 0;
  /** Every datagram the sender put on a link, as [time, linkId, kind]. Only kept when recording. */
  readonly linkLog: { time: number; linkId: number; kind: DatagramKind }[] = [];
  recordLinkLog = false;
  /** Called with every data datagram as it reaches the receiver engine (before its reorder engine). */
  onReceiverData: ((now: number, bytes: Uint8Array) => void) | undefined;

  private senderTimerAt: number | undefined;
  private receiverTimerAt: number | undefined;
  private listenerGroup = -1;
  private streamUntil = -1;
  private nextPort = 40_000;
  private eventsAtInstant = 0;
  private lastInstant = -1;
  private readonly receiverOptions: ReceiverOptions;

  constructor(readonly config: SimulationConfig) {
    this.random = createSeededRandom(config.seed);
    this.sender = new SenderEngine({
      ...config.sender,
      random: createSeededRandom(config.seed ^ 0x5eed),
    });
    this.receiverOptions = { ...config.receiver, random: createSeededRandom(config.seed ^ 0xbeef) };
    this.receiver = new ReceiverEngine(this.receiverOptions);
    this.encoder = new EncoderStandIn(config.encoder ?? { packetsPerSecond: 500 });
    this.listener = new ListenerStandIn(config.listener);
    for (const link of config.links) this.addLink(link);
    this.queue.at(ACK_INTERVAL_MS, () => {
      this.listenerTick();
    });
  }

  get now(): number {
    return this.queue.now;
  }

  // ------------------------------------------------------------ scenario controls

  addLink(config: SimLinkConfig): void {
    const address = this.newAddress(config.id);
    const down: PathConfig = config.down ?? { delayMs: config.up.delayMs };
    this.links.set(config.id, {
      config,
      address,
      up: new SimPath(config.up, this.random),
      down: new SimPath(down, this.random),
      removed: false,
    });
    const linkConfig: { id: number; name?: string; priority?: number } = { id: config.id };
    if (config.name !== undefined) linkConfig.name = config.name;
    if (config.priority !== undefined) linkConfig.priority = config.priority;
    this.sender.addLink(this.now, linkConfig);
    this.flush();
  }

  removeLink(id: number): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    link.removed = true;
    this.links.delete(id);
    this.sender.removeLink(this.now, id);
    this.flush();
  }

  /** The link's NAT mapping changes: a new source port; replies to the old one are lost. */
  rebind(id: number): void {
    const link = this.links.get(id);
    if (link !== undefined) link.address = this.newAddress(id);
  }

  /** The receiver process restarts: every group and link is forgotten. */
  restartReceiver(): void {
    this.receiver = new ReceiverEngine(this.receiverOptions);
    this.receiverTimerAt = undefined;
    this.flush();
  }

  /** The encoder sends data packets at its configured rate from now until `untilMs`. */
  stream(untilMs: number): void {
    const startTicking = this.streamUntil < this.now;
    this.streamUntil = untilMs;
    if (startTicking) this.encoderTick();
  }

  /** The encoder sends `count` data packets at once, now (an I-frame's burst). */
  burst(count: number): void {
    for (let index = 0; index < count; index++) {
      this.sender.handleEncoderDatagram(this.now, this.encoder.nextPacket(this.now));
    }
    this.flush();
  }

  /** Feeds a raw datagram to the receiver as if it came from `from` (hostile input tests). */
  injectToReceiver(from: Address, bytes: Uint8Array): void {
    this.receiver.handleDatagram(this.now, from, bytes);
    this.flush();
  }

  /** Feeds a raw datagram to the sender as if it arrived on link `linkId`. */
  injectToSender(linkId: number, bytes: Uint8Array): void {
    this.sender.handleLinkDatagram(this.now, linkId, bytes);
    this.flush();
  }

  // ------------------------------------------------------------ driving

  /** Runs events until virtual time `untilMs`, bounded by `maxEvents`. */
  runUntil(untilMs: number, maxEvents = 50_000_000): void {
    for (let count = 0; count < maxEvents; count++) {
      const next = this.queue.peekTime();
      if (next === undefined || next > untilMs) {
        this.queue.now = Math.max(this.queue.now, untilMs);
        return;
      }
      if (next === this.lastInstant) {
        if (++this.eventsAtInstant > MAX_EVENTS_AT_ONE_INSTANT) {
          throw new SimulationStalledError(`livelock: virtual time stuck at ${next} ms`);
        }
      } else {
        this.lastInstant = next;
        this.eventsAtInstant = 0;
      }
      this.queue.runNext();
    }
    throw new SimulationStalledError(`drive exceeded ${maxEvents} events before ${untilMs} ms`);
  }

  /** Runs until `predicate` holds (checked after every event) or `deadlineMs`; returns whether it held. */
  runUntilTrue(predicate: () => boolean, deadlineMs: number): boolean {
    for (let count = 0; count < 50_000_000; count++) {
      if (predicate()) return true;
      const next = this.queue.peekTime();
      if (next === undefined || next > deadlineMs) {
        this.queue.now = Math.max(this.queue.now, deadlineMs);
        return predicate();
      }
      this.runUntil(next);
    }
    throw new SimulationStalledError('runUntilTrue exceeded its event bound');
  }

  // ------------------------------------------------------------ plumbing

  private newAddress(id: number): Address {
    const address = Address.parse(`127.0.1.${id % 250}`, this.nextPort++);
    if (address === undefined) throw new Error('bad simulated address');
    return address;
  }

  private encoderTick(): void {
    if (this.now > this.streamUntil) return;
    const batch = Math.max(1, this.encoder.config.batch ?? 1);
    for (let index = 0; index < batch; index++) {
      this.sender.handleEncoderDatagram(this.now, this.encoder.nextPacket(this.now));
    }
    this.flush();
    this.queue.at(this.now + (batch * 1000) / this.encoder.config.packetsPerSecond, () => {
      this.encoderTick();
    });
  }

  private listenerTick(): void {
    const now = this.now;
    const ack = this.listener.ack(now);
    if (ack !== undefined) this.toReceiverUpstream(ack);
    if (Math.round(now / ACK_INTERVAL_MS) % (NAK_INTERVAL_MS / ACK_INTERVAL_MS) === 0) {
      const nak = this.listener.nak(now);
      if (nak !== undefined) this.toReceiverUpstream(nak);
    }
    this.queue.at(now + ACK_INTERVAL_MS, () => {
      this.listenerTick();
    });
  }

  private toReceiverUpstream(bytes: Uint8Array): void {
    const group = this.listenerGroup;
    if (group < 0) return;
    this.queue.at(this.now + (this.config.upstreamDelayMs ?? 0.1), () => {
      this.receiver.handleUpstreamDatagram(this.now, group, bytes);
      this.flush();
    });
  }

  /** Drains both engines' outputs into the network and re-arms their timers. */
  flush(): void {
    const now = this.now;
    for (let t = this.sender.pollTransmit(); t !== undefined; t = this.sender.pollTransmit()) {
      const bytes = t.bytes;
      if (t.linkId === ENCODER) {
        const retransmissions = this.encoder.receive(now, bytes);
        for (const packet of retransmissions) {
          this.queue.at(now, () => {
            this.sender.handleEncoderDatagram(this.now, packet);
            this.flush();
          });
        }
        continue;
      }
      const link = this.links.get(t.linkId);
      if (link === undefined) continue;
      const kind = classifyDatagram(bytes);
      if (this.recordLinkLog) this.linkLog.push({ time: now, linkId: t.linkId, kind });
      const arrival = link.up.send(now, bytes.length, kind === DatagramKind.SrtData);
      if (arrival === undefined) continue;
      const from = link.address;
      this.queue.at(arrival, () => {
        if (kind === DatagramKind.SrtData) {
          this.receiverDataIn++;
          this.onReceiverData?.(this.now, bytes);
        }
        this.receiver.handleDatagram(this.now, from, bytes);
        this.flush();
      });
    }
    for (let t = this.receiver.pollTransmit(); t !== undefined; t = this.receiver.pollTransmit()) {
      const bytes = t.bytes;
      if (t.target === ReceiverTarget.Upstream) {
        this.listenerGroup = t.groupId;
        if (classifyDatagram(bytes) === DatagramKind.SrtData) this.receiverDataOut++;
        this.queue.at(now + (this.config.upstreamDelayMs ?? 0.1), () => {
          this.listener.receive(bytes, this.now);
        });
        continue;
      }
      const address = t.address;
      const link =
        address === undefined
          ? undefined
          : [...this.links.values()].find((each) => each.address.equals(address));
      if (link === undefined) {
        this.unroutable++;
        continue;
      }
      const arrival = link.down.send(now, bytes.length, false);
      if (arrival === undefined) continue;
      const id = link.config.id;
      // A transmit's bytes are the engine's until its next input (a REG2 answer's buffer is
      // reused): what is delivered later is a copy.
      const delivered = bytes.slice();
      this.queue.at(arrival, () => {
        if (link.removed) return;
        this.sender.handleLinkDatagram(this.now, id, delivered);
        this.flush();
      });
    }
    for (let e = this.sender.pollEvent(); e !== undefined; e = this.sender.pollEvent()) {
      this.senderEvents.push({ time: now, event: e });
    }
    for (let e = this.receiver.pollEvent(); e !== undefined; e = this.receiver.pollEvent()) {
      this.receiverEvents.push({ time: now, event: e });
    }
    this.armTimers();
  }

  private armTimers(): void {
    const senderAt = this.sender.pollTimeout();
    if (
      senderAt !== undefined &&
      (this.senderTimerAt === undefined || senderAt < this.senderTimerAt)
    ) {
      this.senderTimerAt = senderAt;
      this.queue.at(senderAt, () => {
        if (this.senderTimerAt !== senderAt) return;
        this.senderTimerAt = undefined;
        this.sender.handleTimeout(this.now);
        this.flush();
      });
    }
    const receiver = this.receiver;
    const receiverAt = receiver.pollTimeout();
    if (
      receiverAt !== undefined &&
      (this.receiverTimerAt === undefined || receiverAt < this.receiverTimerAt)
    ) {
      this.receiverTimerAt = receiverAt;
      this.queue.at(receiverAt, () => {
        if (this.receiverTimerAt !== receiverAt || this.receiver !== receiver) return;
        this.receiverTimerAt = undefined;
        this.receiver.handleTimeout(this.now);
        this.flush();
      });
    }
  }
}
