/**
 * @bond/sender
 *
 * `bond-sender`: runs next to the encoder, takes its SRT stream on a local UDP port and spreads it over
 * every uplink to an SRTLA receiver. srtla_send-compatible positional arguments, an uplink list file
 * with reload, a status view and HTTP stats.
 *
 * Status: the app builds and is wired into the workspace; the CLI arrives with its issue.
 *
 * Holds no protocol logic; `src/bin.ts` parses, `src/run.ts` runs.
 *
 * @packageDocumentation
 */

export {};
