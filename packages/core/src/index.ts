/**
 * @bond/core
 *
 * The SRTLA v2 protocol engines as deterministic, sans-IO state machines.
 *
 * Every input carries the time (`handleDatagram(now, from, bytes)`, `handleTimeout(now)`); outputs are
 * pulled (`pollTransmit(now)`, `pollEvent()`, `pollTimeout()`); randomness is injected. Core does no IO
 * and reads no clock, so every behaviour can be driven in virtual time by the simulator.
 *
 * Status: the package builds and is wired into the workspace; the sender and receiver engines, the
 * schedulers, the evaluator, the reorder engine and the simulator arrive with their issues.
 *
 * Depends on `@bond/wire`. Must not hold sockets, timers, `Date.now`, `Math.random`, `process` or `Buffer`-only APIs (lint enforces the first four).
 *
 * @packageDocumentation
 */

export {};
