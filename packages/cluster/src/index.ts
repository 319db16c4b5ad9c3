/**
 * @bond/cluster: the coordination store of a bond-receiver cluster on Redis (issue 14): node
 * liveness and node indexes, group ownership leases, and the source-address route table.
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
