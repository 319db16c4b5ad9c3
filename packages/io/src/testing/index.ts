/**
 * @bond/io/testing: the contract suite every `@bond/io` backend passes, and the send-table suite
 * every native binding passes, for vitest.
 *
 * ```ts
 * import { dgramBackend } from '@bond/io';
 * import { hasIpv6Loopback, runContractSuite } from '@bond/io/testing';
 *
 * runContractSuite({
 *   title: 'dgram backend',
 *   backend: () => dgramBackend,
 *   expectedName: 'dgram',
 *   ipv6: await hasIpv6Loopback(),
 *   reportsTruncation: true,
 * });
 * ```
 *
 * @packageDocumentation
 */
export {
  hasIpv6Loopback,
  runContractSuite,
  waitFor,
  type ContractSuiteOptions,
} from './contract-suite.js';
export { runSendTableSuite, type SendTableSuiteOptions } from './send-table-suite.js';
