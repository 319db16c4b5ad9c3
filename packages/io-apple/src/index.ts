/**
 * @bond/io-apple
 *
 * The Apple backend for `@bond/io`: `recvmsg_x`/`sendmsg_x` resolved at run time, plain
 * `recvmsg`/`sendmsg` where they are absent. A failed native load falls back to the portable backend.
 *
 * Status: the package builds and is wired into the workspace; the addon arrives with its issue.
 *
 * Holds no protocol logic.
 *
 * @packageDocumentation
 */

export {};
