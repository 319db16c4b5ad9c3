/**
 * The dashboard page served at `/`: one self-contained HTML document (styles and script inline, no
 * CDN, no network beyond this server), built into the app with the rest of its code.
 */
import { dashboardMain } from './dashboard-client.js';

const STYLE = `
:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
body { margin: 0; background: Canvas; color: CanvasText; }
header { display: flex; gap: 1em; align-items: baseline; padding: 0.8em 1.2em; border-bottom: 1px solid #8884; }
header h1 { font-size: 1.2em; margin: 0; }
#status { font-weight: 600; }
#status.live { color: #27ae60; }
#status.down { color: #eb5757; }
#summary { padding: 0.4em 1.2em; opacity: 0.8; }
main { padding: 0 1.2em 2em; display: grid; gap: 1em; }
section.group { border: 1px solid #8884; border-radius: 8px; padding: 0.6em 1em; }
h2 { font-size: 1.05em; margin: 0.2em 0; }
.badge { font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 1em; background: #8883; }
.badge.active { background: #27ae6033; }
.meta { margin: 0.2em 0 0.5em; opacity: 0.8; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; }
svg.chart text { font-size: 10px; fill: currentColor; opacity: 0.7; }
svg.chart line.grid { stroke: #8884; stroke-width: 1; }
table { border-collapse: collapse; margin-top: 0.4em; }
th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; font-variant-numeric: tabular-nums; }
th { font-weight: 600; opacity: 0.8; }
td.state.up { color: #27ae60; }
td.state.quiet { color: #f2994a; }
.empty { opacity: 0.7; }
footer { padding: 0 1.2em 1em; opacity: 0.6; font-size: 0.85em; }
`;

/** The dashboard HTML document. */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bond-receiver</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>bond-receiver</h1><span id="status">connecting…</span></header>
<div id="summary">waiting for the first update</div>
<main id="groups"></main>
<footer>updates: <span id="updated">0</span> · <a href="metrics">/metrics</a> · <a href="api/v1/stats">/api/v1/stats</a></footer>
<script>(${dashboardMain.toString()})();</script>
</body>
</html>
`;
}
