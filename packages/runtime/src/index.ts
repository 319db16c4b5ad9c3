/**
 * @bond/runtime
 *
 * Runs bond's engines for real: `createSender(options)` and `createReceiver(options)` own the
 * sockets, one timer armed at the engine's next deadline, the clock, stats snapshots and
 * `diagnostics_channel` events. This is the embeddable API the apps are built on.
 *
 * Status: the package builds and is wired into the workspace; the runtime arrives with its issue.
 *
 * Holds no CLI parsing and no HTTP.
 *
 * @packageDocumentation
 */

export {};
