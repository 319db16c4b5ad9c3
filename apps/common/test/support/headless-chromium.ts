// The live pages in a real browser: Debian's headless Chromium, driven by playwright-core (never a
// downloaded browser). Launch options only, so this module needs no playwright-core of its own.

/** The browser binary: `BOND_CHROMIUM`, else Debian's. */
export const CHROMIUM = process.env.BOND_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Options for `chromium.launchPersistentContext(profile, ...)`: headless, and no traffic of the
 * browser's own (updates, sync, QUIC), so a page's requests are only the ones it makes.
 */
export function headlessChromiumOptions(viewport: {
  readonly width: number;
  readonly height: number;
}) {
  return {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: viewport.width, height: viewport.height },
    timeout: 20_000,
  };
}
