/**
 * The dashboard page served at `/`: `@bond/app-common`'s self-contained live page (styles and
 * script inline, no CDN, no network beyond this server) with the receiver's page code.
 */
import { dashboardDocument } from '@bond/app-common';
import { dashboardMain } from './dashboard-client.js';

/** The dashboard HTML document. */
export function dashboardPage(): string {
  return dashboardDocument({ title: 'bond-receiver', main: dashboardMain });
}
