/**
 * @bond/io-linux
 *
 * The Linux backend for `@bond/io`: `recvmmsg`/`sendmmsg`, UDP GSO and socket buffer sizing through
 * an N-API addon built with node-gyp. A failed native load falls back to the portable backend.
 *
 * Status: the package builds and is wired into the workspace; the addon arrives with its issue.
 *
 * Holds no protocol logic.
 *
 * @packageDocumentation
 */

export {};
