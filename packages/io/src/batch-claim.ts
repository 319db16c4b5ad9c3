/**
 * Backends that gather datagrams over several callbacks before delivering (the `dgram` backend) must
 * not interleave with another socket writing the same shared {@link ReceiveBatch}. The socket that
 * holds undelivered rows registers a delivery function here; any other writer delivers those rows
 * first.
 */
import type { ReceiveBatch } from './receive-batch.js';

const holders = new WeakMap<ReceiveBatch, { owner: object; deliver: () => void }>();

/** Makes `owner` the writer of `batch`, delivering another owner's pending rows first. */
export function claimBatch(batch: ReceiveBatch, owner: object, deliver: () => void): void {
  const holder = holders.get(batch);
  if (holder !== undefined && holder.owner !== owner) holder.deliver();
  holders.set(batch, { owner, deliver });
}

/** Releases `batch` after `owner` delivered its rows. */
export function releaseBatch(batch: ReceiveBatch, owner: object): void {
  if (holders.get(batch)?.owner === owner) holders.delete(batch);
}
