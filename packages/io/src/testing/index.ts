/**
 * @bond/io/testing: the contract suite every `@bond/io` backend passes, and the send-table suite
 * every native binding passes, for vitest; `waitFor`, the bounded wait every test in the
 * repository uses; and the loopback UDP stand-ins tests share (`boundUdpSocket`, `feedSrtData`).
 *
 * ```ts
 * import { dgramBackend } from '@bond/io';
 * import { hasIpv6Loopback, runContractSuite, waitFor } from '@bond/io/testing';
 *
 * runContractSuite({
 *   title: 'dgram backend',
 *   backend: () => dgramBackend,
 *   expectedName: 'dgram',
 *   ipv6: await hasIpv6Loopback(),
 *   reportsTruncation: true,
 * });
 *
 * await waitFor(() => received.length === 10, 'ten datagrams', { timeoutMs: 5000 });
 * ```
 *
 * @packageDocumentation
 */
export { hasIpv6Loopback, runContractSuite, type ContractSuiteOptions } from './contract-suite.js';
export {
  DEFAULT_WAIT_INTERVAL_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  waitFor,
  WaitTimeoutError,
  type WaitLimits,
} from './wait-for.js';
export { runSendTableSuite, type SendTableSuiteOptions } from './send-table-suite.js';
export { runReusePortSuite } from './reuse-port-suite.js';
export {
  boundUdpSocket,
  feedSrtData,
  type DeferStop,
  type SrtFeed,
  type SrtFeedOptions,
} from './udp-stand-ins.js';
