/**
 * @bond/io
 *
 * The batch UDP socket interface bond's runtime sends and receives through.
 *
 * The caller owns one receive slab plus a metadata table; a receive fills up to `maxBatch` slots and
 * calls back once per batch. Sends are queued and flushed once per socket per event-loop turn.
 *
 * Status: the package builds and is wired into the workspace; the interface, the `node:dgram` backend,
 * the in-memory network and the contract suite arrive with their issue.
 *
 * Never depends on `@bond/io-linux` or `@bond/io-apple`; they depend on it. Holds no native code.
 *
 * @packageDocumentation
 */

export {};
