/**
 * The live page served at `/`: one self-contained HTML document (styles and script inline, no CDN,
 * no network beyond its own server), built into the app with the rest of its code. The shared
 * frame (header with the stream's `#status`, `#summary`, `main#content`, footer with the `#updated`
 * count and the API links), the shared styles and {@link dashboardKit}; the app adds its own page
 * code and styles. The layout holds from a 390-px phone (no sideways scrolling: cards, charts and
 * tables fit the width, tables stack one row per block) to a desktop.
 */
import { chartAxis, dashboardKit, type DashboardKit } from './dashboard-kit.js';

/** Styles every page shares: the frame, cards (`main > section`), badges, charts, tables, states. */
export const BASE_STYLE = `
:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; background: Canvas; color: CanvasText; overflow-wrap: anywhere; }
header { display: flex; flex-wrap: wrap; gap: 0.2em 1em; align-items: baseline; padding: 0.8em 1.2em; border-bottom: 1px solid #8884; }
header h1 { font-size: 1.2em; margin: 0; }
#status { font-weight: 600; }
#status.live { color: #27ae60; }
#status.down { color: #eb5757; }
#summary { padding: 0.4em 1.2em; opacity: 0.8; }
#summary.alert { color: #eb5757; opacity: 1; font-weight: 600; }
main { padding: 0 1.2em 2em; display: grid; grid-template-columns: minmax(0, 1fr); gap: 1em; }
main > section { border: 1px solid #8884; border-radius: 8px; padding: 0.6em 1em; min-width: 0; }
h2 { font-size: 1.15em; margin: 0.2em 0; display: flex; flex-wrap: wrap; gap: 0.2em 0.6em; align-items: baseline; }
h2 .total { font-variant-numeric: tabular-nums; font-weight: 600; }
.badge { font-size: 0.75em; font-weight: 400; padding: 0.1em 0.5em; border-radius: 1em; background: #8883; }
.badge.active, .badge.registered { background: #27ae6033; }
.badge.refused { background: #eb575733; }
.meta { margin: 0.2em 0 0.5em; opacity: 0.8; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 0.5em 1.5em; max-width: 1400px; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; margin: 0.3em 0; }
svg.chart text { font-size: 11px; fill: currentColor; }
svg.chart text.tick, svg.chart text.time { opacity: 0.75; font-variant-numeric: tabular-nums; }
svg.chart text.title { font-size: 12px; font-weight: 600; }
svg.chart text.unit { font-weight: 600; }
svg.chart line.grid { stroke: #8884; stroke-width: 1; }
table { border-collapse: collapse; margin-top: 0.4em; }
th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; font-variant-numeric: tabular-nums; }
th { font-weight: 600; opacity: 0.8; }
td.state.up { color: #27ae60; }
td.state.quiet, td.state.probing, td.state.registering, td.state.opening, td.state.stalled { color: #f2994a; }
td.state.idle, td.state.failed, td.state.closed, td.state.down { color: #eb5757; }
.empty { opacity: 0.7; }
footer { padding: 0 1.2em 1em; opacity: 0.6; font-size: 0.85em; }
@media (max-width: 640px) {
  :root { font-size: 15px; }
  header, #summary, footer { padding-left: 0.8em; padding-right: 0.8em; }
  main { padding: 0 0.6em 1.5em; }
  main > section { padding: 0.5em 0.7em; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr:first-child { display: none; }
  table.stack tr { border-top: 1px solid #8884; border-left: 4px solid var(--swatch, transparent); padding: 0.3em 0 0.3em 0.5em; }
  table.stack td { display: flex; justify-content: space-between; gap: 1em; padding: 0.1em 0; text-align: right; }
  table.stack td::before { content: attr(data-label); opacity: 0.75; text-align: left; }
  table.stack td.swatch { display: none; }
}
`;

export interface DashboardDocumentOptions {
  /** The page's title and heading (`bond-sender`). */
  readonly title: string;
  /**
   * The app's page code, run in the browser with the kit. Its source text is inlined, so it must
   * be self-contained: types from other modules only, no imported values, nothing from Node.
   */
  readonly main: (kit: DashboardKit) => void;
  /** The app's styles, after {@link BASE_STYLE}. */
  readonly style?: string;
}

/** The HTML document of the live page. */
export function dashboardDocument(options: DashboardDocumentOptions): string {
  const title = escapeHtml(options.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${BASE_STYLE}${options.style ?? ''}</style>
</head>
<body>
<header><h1>${title}</h1><span id="status">connecting…</span></header>
<div id="summary">waiting for the first update</div>
<main id="content"></main>
<footer>updates: <span id="updated">0</span> · <a href="metrics">/metrics</a> · <a href="api/v1/stats">/api/v1/stats</a></footer>
<script>(${options.main.toString()})((${dashboardKit.toString()})(${chartAxis.toString()}));</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
