/**
 * @bond/cluster: a bond-receiver cluster (issue 14). `ClusterNode` is one node's routing in front
 * of its receiver (forwarding a link's datagrams to its group's owner over an authenticated
 * backplane, adopting the groups of a node that is gone); `MemoryCluster` coordinates nodes in one
 * process (tests, and the primary of `bond-receiver --workers N`); `ClusterStore` is the
 * coordination store on Redis: node liveness and node indexes, group ownership leases, and the
 * source-address route table.
 *
 * @packageDocumentation
 */
export {
  ClusterStore,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_NODE_TTL_MS,
  MAX_KEY_LENGTH,
  MAX_NODE_INDEX,
  MAX_STATS_LENGTH,
  MAX_TTL_MS,
  redactRedisUrl,
  type ClusterStoreOptions,
  type ClusterStoreState,
  type JoinOptions,
  type NodeRecord,
} from './store.js';
export {
  ClusterOptionError,
  ClusterStoreClosedError,
  ClusterUnavailableError,
  NodeIndexTakenError,
} from './errors.js';
export {
  groupKeyOf,
  type ClusterCoordinator,
  type ClusterNodeView,
  type CoordinatorEvent,
  type CoordinatorState,
} from './coordinator.js';
export {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_POLL_EVERY_MS,
  DEFAULT_RENEW_EVERY_MS,
  DEFAULT_ROUTE_TTL_MS,
  DEFAULT_STATS_TTL_MS,
  MAX_REMEMBERED_ROUTES,
  RedisCoordinator,
  type CoordinatorLogger,
  type RedisCoordinatorOptions,
} from './redis-coordinator.js';
export {
  BACKPLANE_HEADER_LENGTH,
  BACKPLANE_REJECTIONS,
  BACKPLANE_TAG_LENGTH,
  Backplane,
  MAX_CLOCK_SKEW_S,
  REPLY_TO_LINK,
  TO_OWNER,
  checkBackplane,
  encodeBackplane,
  type BackplaneCounters,
  type BackplaneMessage,
  type BackplaneOptions,
  type BackplaneRejection,
} from './backplane.js';
export {
  CLUSTER_KEY_LENGTH,
  checkClusterKey,
  deriveBackplaneKey,
  deriveCookieKeys,
} from './keys.js';
export {
  DEFAULT_MEMORY_ROUTE_TTL_MS,
  MemoryCluster,
  MemoryCoordinator,
  type MemoryClusterOptions,
  type MemoryJoinOptions,
} from './memory-coordinator.js';
export {
  ClusterNode,
  DEFAULT_ROUTE_IDLE_MS,
  UNKNOWN_ISSUER_GRACE_MS,
  parseHostPort,
  type ClusterNodeLogger,
  type ClusterNodeOptions,
  type ClusterNodeStats,
} from './node.js';
export {
  IPC_REQUEST_TIMEOUT_MS,
  IpcCoordinator,
  serveIpcWorker,
  type MessageChannel,
} from './ipc-coordinator.js';
