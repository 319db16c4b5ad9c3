/**
 * Loading a native backend's addon, shared by `@bond/io-linux` and `@bond/io-apple`: require the
 * `.node` file, check that it exports every function the binding needs, and turn any failure into
 * a `NativeBackendUnavailableError` that keeps the loader's error as its cause. Never throws.
 */
import { createRequire } from 'node:module';
import { NativeBackendUnavailableError } from './errors.js';

export type AddonLoad<B> =
  | { readonly binding: B; readonly loadError: undefined }
  | { readonly binding: undefined; readonly loadError: NativeBackendUnavailableError };

/**
 * Requires the addon at `addonPath` for `packageName` and checks it exports `functions`.
 * The caller asserts the binding type `B` those functions make up.
 */
export function loadAddon<B>(
  packageName: string,
  addonPath: string,
  functions: readonly string[],
): AddonLoad<B> {
  let loaded: unknown;
  try {
    loaded = createRequire(addonPath)(addonPath);
  } catch (error) {
    return addonUnavailable(
      packageName,
      error instanceof Error ? error : new Error(String(error)),
      addonPath,
    );
  }
  const record = loaded as Record<string, unknown> | null;
  const missing = functions.filter((name) => typeof record?.[name] !== 'function');
  if (missing.length > 0) {
    return addonUnavailable(packageName, new Error(`addon lacks ${missing.join(', ')}`), addonPath);
  }
  return { binding: loaded as B, loadError: undefined };
}

/** The failed load of `packageName`'s addon, with `cause` kept. */
export function addonUnavailable(
  packageName: string,
  cause: Error,
  addonPath?: string,
): { readonly binding: undefined; readonly loadError: NativeBackendUnavailableError } {
  const where = addonPath === undefined ? '' : ` from ${addonPath}`;
  return {
    binding: undefined,
    loadError: new NativeBackendUnavailableError(
      `${packageName} addon did not load${where}: ${cause.message}`,
      { cause },
    ),
  };
}
