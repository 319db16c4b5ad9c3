/**
 * The live page served at `/` with `--http`: `@bond/app-common`'s self-contained page (styles and
 * script inline, no CDN, no network beyond this server) with the sender's page code.
 */
import { dashboardDocument } from '@bond/app-common';
import { dashboardMain } from './dashboard-client.js';

const STYLE = `
.share-bar { display: flex; height: 14px; max-width: 900px; border-radius: 4px; overflow: hidden; background: #8883; margin: 0.3em 0 0.6em; }
.share-bar span { display: block; height: 100%; }
`;

/** The live page's HTML document. */
export function dashboardPage(): string {
  return dashboardDocument({ title: 'bond-sender', main: dashboardMain, style: STYLE });
}
