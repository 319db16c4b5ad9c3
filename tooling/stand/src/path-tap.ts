/**
 * A tap between bond-receiver and the sink: a UDP relay in the stand's own process that passes
 * every datagram both ways unchanged and notes when each stamped SRT data packet first came out of
 * bond-receiver.
 *
 * Why: srt-live-transmit as the sink plays every payload out at its send time plus SRT's latency
 * (TSBPD), so the delay the sink measures is about the latency for every payload delivered. The
 * tap measures the path's delay instead: from the source's stamp, through the SRT caller,
 * bond-sender, the emulated links and bond-receiver (its reorder engine included), to the moment
 * the listener got the payload for the first time (a payload lost on the way counts once its
 * retransmission comes through). That is the latency an SRT listener needs to play it.
 *
 * bond-receiver talks to the listener from one socket per group; the tap gives each such source
 * its own upstream socket, so the listener's replies find their way back to it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isSrtData } from '@bond/wire';
import type { StreamMeter } from './stream-meter.js';

/** 16 bytes: the SRT data header; the stamped payload follows it. */
const SRT_DATA_HEADER_BYTES = 16;
/** 64: the most bond-receiver sockets (groups) the tap relays for; datagrams from more are dropped. */
const MAX_SOURCES = 64;
/** 4 MiB: asked-for kernel buffers, so the stream's bursts are not dropped by the tap itself. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface PathTapStats {
  /** Datagrams relayed from bond-receiver to the listener, and back. */
  readonly toListener: number;
  readonly fromListener: number;
  /** Datagrams dropped because {@link MAX_SOURCES} sources were already relayed for. */
  readonly droppedSources: number;
}

function bound(port: number): Promise<Socket> {
  const socket = createSocket({
    type: 'udp4',
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve();
    }
  });
}

/** The relay between bond-receiver and the sink; see the module's doc. */
export class PathTap {
  private readonly upstream = new Map<string, Promise<Socket>>();
  private toListener = 0;
  private fromListener = 0;
  private droppedSources = 0;
  private open = true;

  private constructor(
    private readonly socket: Socket,
    private readonly listenerPort: number,
    private readonly meter: StreamMeter,
  ) {
    socket.on('message', (message, from) => {
      this.fromReceiver(message, from);
    });
  }

  /**
   * Opens the tap on a free port of 127.0.0.1 (give it to bond-receiver as its SRT port); it
   * relays to the sink at 127.0.0.1:`listenerPort` and hands each stamped payload's first arrival
   * to `meter` (which must count the same sent payloads as the stand's own meter).
   */
  static async open(listenerPort: number, meter: StreamMeter): Promise<PathTap> {
    return new PathTap(await bound(0), listenerPort, meter);
  }

  /** The port bond-receiver forwards to. */
  get port(): number {
    return this.socket.address().port;
  }

  stats(): PathTapStats {
    return {
      toListener: this.toListener,
      fromListener: this.fromListener,
      droppedSources: this.droppedSources,
    };
  }

  /** Closes every socket; idempotent. */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    const sockets = await Promise.all([...this.upstream.values()].map((s) => s.catch(() => null)));
    this.upstream.clear();
    await Promise.all(
      [this.socket, ...sockets].flatMap((socket) => (socket === null ? [] : [closed(socket)])),
    );
  }

  private fromReceiver(message: Buffer, from: RemoteInfo): void {
    if (isSrtData(message)) this.meter.noteDelivered(message.subarray(SRT_DATA_HEADER_BYTES));
    const key = `${from.address}:${from.port}`;
    let upstream = this.upstream.get(key);
    if (upstream === undefined) {
      if (this.upstream.size >= MAX_SOURCES) {
        this.droppedSources++;
        return;
      }
      upstream = this.openUpstream(from);
      this.upstream.set(key, upstream);
    }
    void upstream.then(
      (socket) => {
        if (!this.open) return;
        this.toListener++;
        socket.send(message, this.listenerPort, '127.0.0.1');
      },
      () => undefined,
    );
  }

  private async openUpstream(receiver: RemoteInfo): Promise<Socket> {
    const socket = await bound(0);
    socket.on('message', (message) => {
      if (!this.open) return;
      this.fromListener++;
      this.socket.send(message, receiver.port, receiver.address);
    });
    if (!this.open) {
      await closed(socket);
      throw new Error('the tap closed while opening an upstream socket');
    }
    return socket;
  }
}
