// The live pages in a real browser: Debian's headless Chromium, driven by playwright-core (never a
// downloaded browser). The caller passes playwright-core's `chromium`, so this module needs no
// playwright-core of its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** What {@link openHeadlessPage} uses of playwright-core's `chromium`. */
export interface PersistentLauncher<Page> {
  launchPersistentContext(
    profile: string,
    options: ReturnType<typeof headlessChromiumOptions>,
  ): Promise<{ pages(): Page[]; newPage(): Promise<Page>; close(): Promise<void> }>;
}

/**
 * A page in headless Chromium with a fresh profile at `viewport`; the browser and its profile are
 * handed to `defer` (see `cleanupAfterEach`), so they go also when the test fails.
 */
export async function openHeadlessPage<Page>(
  launcher: PersistentLauncher<Page>,
  defer: (stop: () => Promise<void>) => void,
  viewport: { readonly width: number; readonly height: number },
): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'bond-chromium-'));
  defer(() => rm(profile, { recursive: true, force: true }));
  const browser = await launcher.launchPersistentContext(
    profile,
    headlessChromiumOptions(viewport),
  );
  defer(() => browser.close());
  return browser.pages()[0] ?? (await browser.newPage());
}
