/**
 * Errors the cluster store throws on purpose, one class per condition, each with a stable `code`.
 */
import { BondError } from '@bond/wire';

/** A `ClusterStore` option or argument is invalid; the message names it and what is allowed. */
export class ClusterOptionError extends BondError {
  static readonly code = 'BOND_ERR_CLUSTER_OPTION';
  constructor(message: string) {
    super(ClusterOptionError.code, message);
  }
}

/**
 * Redis did not answer: it is down, unreachable, refused the credentials, or a command timed out.
 * The message names the Redis (password removed), what failed and what to do; `cause` is the
 * client's own error. Nothing is lost by it: callers keep serving from their caches and retry.
 */
export class ClusterUnavailableError extends BondError {
  static readonly code = 'BOND_ERR_CLUSTER_UNAVAILABLE';
  /** The Redis URL with any password replaced by `***`. */
  readonly redis: string;
  constructor(redis: string, operation: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      ClusterUnavailableError.code,
      `cluster store at ${redis} did not answer ${operation}${reason} ` +
        '(check that redis-server runs and that the --cluster URL names it; ' +
        'streams keep flowing from the node caches and the store reconnects by itself)',
      options,
    );
    this.redis = redis;
  }
}

/** Every node index 1..65535 of the cluster is taken (or the one asked for is). */
export class NodeIndexTakenError extends BondError {
  static readonly code = 'BOND_ERR_CLUSTER_NODE_INDEX';
  constructor(message: string) {
    super(NodeIndexTakenError.code, message);
  }
}

/** A call came after `close()`. */
export class ClusterStoreClosedError extends BondError {
  static readonly code = 'BOND_ERR_CLUSTER_CLOSED';
  constructor(operation: string) {
    super(
      ClusterStoreClosedError.code,
      `cannot ${operation}: the cluster store is closed (open a new one)`,
    );
  }
}
