/**
 * The hooks a clustered receiver node (issue 14, `@bond/cluster`'s `ClusterNode`) plugs into a
 * receiver: it sees every listening-socket datagram before the engine (and may take it, to forward
 * it to the group's owner over its backplane), hands in datagrams other nodes forwarded as if they
 * came from their original source, answers links through the node that heard them, and follows the
 * engine's group and link events to keep the cluster's owner and route records.
 *
 * Without `cluster` in the receiver's options nothing of this runs.
 */
import type { ReceiverEvent } from '@bond/core';
import type { Address } from '@bond/io';

/** What the receiver gives the node when it starts (see {@link ReceiverClusterOptions.attach}). */
export interface ReceiverClusterPort {
  /** The listening socket's bound address. */
  readonly local: Address;
  /** The receiver's clock (engine milliseconds). */
  now(): number;
  /**
   * Hands `bytes` to the engine as if the listening socket had received them from `from` (a
   * datagram another node forwarded); the route hook is not asked. Replies and SRT go out when
   * {@link flush} runs.
   */
  inject(from: Address, bytes: Uint8Array): void;
  /** Sends what the engine queued since the last flush (after a run of {@link inject}). */
  flush(): void;
  /** Sends `bytes` to `to` from the listening socket (a reply the owner node sent back). */
  sendFromListener(to: Address, bytes: Uint8Array): void;
  /** The issuing node's index when `id`'s MAC verifies under the cluster keys (any age). */
  nodeOf(id: Uint8Array): number | undefined;
  /**
   * Whether `id` is fresh for this engine (it would create a group by REG2 now); an id this node's
   * index issued that is not fresh came from a predecessor under the same index.
   */
  isFreshId(id: Uint8Array): boolean;
  /** Whether this node holds the group with this id. */
  hasGroup(id: Uint8Array): boolean;
  /** Whether `from` is a link of a group this node holds. */
  hasLink(from: Address): boolean;
  /**
   * Adopts the group of `id` (its issuer is gone and this node won the group's lease): the engine's
   * `adoptGroup`. Pass the REG2 to {@link inject} next. Undefined when the id does not verify or
   * there is no room.
   */
  adoptGroup(id: Uint8Array, from: Address): number | undefined;
  /**
   * Drops group `groupId` at once (another node serves it now): its links are forgotten and its
   * upstream socket closed. Its events go out on the next {@link flush}. False when there is none.
   */
  dropGroup(groupId: number, reason: string): boolean;
}

/** What the node answers the receiver with. */
export interface ReceiverClusterHooks {
  /**
   * Every listening-socket datagram from a source that is no link of this node's engine, before
   * the engine sees it: true when the node took it (forwarded or dropped), false to let the engine
   * handle it. Must not throw; `bytes` is valid only during the call.
   */
  route(from: Address, bytes: Uint8Array): boolean;
  /**
   * A reply the engine sends to link `to`: true when the node sent it another way (through the node
   * that heard the link), false to send it from this listening socket.
   */
  sendToLink?(to: Address, bytes: Uint8Array): boolean;
  /** Every engine event, after the receiver handled it. */
  onEvent?(event: ReceiverEvent): void;
  /**
   * The SRT caller's socket id of group `groupId` (the destination socket id of the SRT listener's
   * packets to it), when first seen and when it changes (the caller reconnected).
   */
  onSrtPeer?(groupId: number, socketId: number): void;
}

/** `createReceiver`'s `cluster` option. */
export interface ReceiverClusterOptions {
  /** The cluster's registration cookie keys, 32 bytes (the same on every node). */
  readonly cookieKeys: Uint8Array;
  /** This node's index, 1..65535, written into every group id it issues. */
  readonly nodeIndex: number;
  /** Called once the listening socket is bound; returns the node's hooks. */
  attach(port: ReceiverClusterPort): ReceiverClusterHooks;
}
