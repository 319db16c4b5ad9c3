/**
 * @bond/receiver
 *
 * `bond-receiver`: runs on a server, accepts SRTLA senders (bond, BELABOX, Moblin, IRL Pro) and
 * forwards each group's stream to an SRT listener. srtla_rec-compatible arguments, Prometheus
 * `/metrics`, a JSON stats API and a live dashboard.
 *
 * Status: the app builds and is wired into the workspace; the CLI arrives with its issue.
 *
 * Holds no protocol logic; `src/bin.ts` parses, `src/run.ts` runs.
 *
 * @packageDocumentation
 */

export {};
