/**
 * The keys a cluster derives from its 32-byte secret (issue 14): every node derives the same, so
 * every node verifies every node's group ids, and only nodes of the cluster talk on its backplane.
 */
import { createHmac } from 'node:crypto';
import { ClusterOptionError } from './errors.js';

/** Bytes of a cluster key. */
export const CLUSTER_KEY_LENGTH = 32;

/** The registration cookie keys (two SipHash keys, 32 bytes) every node's engine is given. */
export function deriveCookieKeys(clusterKey: Uint8Array): Uint8Array {
  return derive(clusterKey, 'bond cookie v1');
}

/** The backplane's HMAC-SHA256 key. */
export function deriveBackplaneKey(clusterKey: Uint8Array): Uint8Array {
  return derive(clusterKey, 'bond backplane v1');
}

function derive(clusterKey: Uint8Array, label: string): Uint8Array {
  checkClusterKey(clusterKey);
  return new Uint8Array(createHmac('sha256', clusterKey).update(label).digest());
}

/** Throws {@link ClusterOptionError} unless `key` is {@link CLUSTER_KEY_LENGTH} bytes. */
export function checkClusterKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== CLUSTER_KEY_LENGTH) {
    throw new ClusterOptionError(
      `the cluster key must be ${CLUSTER_KEY_LENGTH} bytes, got ${
        key instanceof Uint8Array ? `${key.length} bytes` : typeof key
      } (every node of a cluster needs the same key)`,
    );
  }
}
