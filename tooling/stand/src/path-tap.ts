/**
 * A tap in front of a UDP endpoint: a relay in the stand's own process that passes every datagram
 * both ways unchanged and hands each SRT data packet's payload to a callback as it passes. Between
 * bond-receiver and the sink it sees what bond-receiver forwards; between linkem and bond-receiver
 * (SRTLA data is SRT data unchanged) what reaches bond-receiver.
 *
 * Why: srt-live-transmit as the sink plays every payload out at its send time plus SRT's latency
 * (TSBPD), so the delay the sink measures is about the latency for every payload delivered. The
 * tap measures the path's delay instead: from the source's stamp, through the SRT caller,
 * bond-sender, the emulated links and bond-receiver (its reorder engine included), to the moment
 * the listener got the payload for the first time (a payload lost on the way counts once its
 * retransmission comes through). That is the latency an SRT listener needs to play it.
 *
 * The relayed endpoint tells its peers apart by source address (bond-receiver talks to the
 * listener from one socket per group; linkem reaches bond-receiver from one socket per link), so
 * the tap gives each source its own upstream socket, and the replies find their way back to it.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { isSrtData } from '@bond/wire';
import { closeQuietly, openLoopback } from './udp.js';

/** 16 bytes: the SRT data header; the stamped payload follows it. */
const SRT_DATA_HEADER_BYTES = 16;
/** 64: the most sources (groups, links) the tap relays for; datagrams from more are dropped. */
const MAX_SOURCES = 64;
/** 4 MiB: asked-for kernel buffers, so the stream's bursts are not dropped by the tap itself. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface PathTapStats {
  /** Datagrams relayed to the endpoint, and back. */
  readonly toTarget: number;
  readonly fromTarget: number;
  /** Datagrams dropped because {@link MAX_SOURCES} sources were already relayed for. */
  readonly droppedSources: number;
}

const TAP_BUFFERS = { recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES };

/** The relay; see the module's doc. */
export class PathTap {
  private readonly upstream = new Map<string, Promise<Socket>>();
  private toTarget = 0;
  private fromTarget = 0;
  private droppedSources = 0;
  private open = true;

  private constructor(
    private readonly socket: Socket,
    private readonly targetPort: number,
    private readonly onData: (payload: Uint8Array) => void,
  ) {
    socket.on('message', (message, from) => {
      this.fromSource(message, from);
    });
  }

  /**
   * Opens the tap on a free port of 127.0.0.1 (send there instead of to the endpoint); it relays
   * to 127.0.0.1:`targetPort` and calls `onData` with the payload of each SRT data packet (every
   * copy: retransmissions and duplicates too) before relaying it.
   */
  static async open(targetPort: number, onData: (payload: Uint8Array) => void): Promise<PathTap> {
    return new PathTap(await openLoopback(0, TAP_BUFFERS), targetPort, onData);
  }

  /** The port to send to instead of the endpoint's. */
  get port(): number {
    return this.socket.address().port;
  }

  stats(): PathTapStats {
    return {
      toTarget: this.toTarget,
      fromTarget: this.fromTarget,
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
      [this.socket, ...sockets].flatMap((socket) =>
        socket === null ? [] : [closeQuietly(socket)],
      ),
    );
  }

  private fromSource(message: Buffer, from: RemoteInfo): void {
    if (isSrtData(message)) this.onData(message.subarray(SRT_DATA_HEADER_BYTES));
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
        this.toTarget++;
        socket.send(message, this.targetPort, '127.0.0.1');
      },
      () => undefined,
    );
  }

  private async openUpstream(source: RemoteInfo): Promise<Socket> {
    const socket = await openLoopback(0, TAP_BUFFERS);
    socket.on('message', (message) => {
      if (!this.open) return;
      this.fromTarget++;
      this.socket.send(message, source.port, source.address);
    });
    if (!this.open) {
      await closeQuietly(socket);
      throw new Error('the tap closed while opening an upstream socket');
    }
    return socket;
  }
}
