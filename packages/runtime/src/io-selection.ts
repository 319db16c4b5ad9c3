/**
 * Picks the IO backend the runtime opens its sockets with: the native one for this platform when it
 * loads (`@bond/io-linux`, `@bond/io-apple`), else `dgram`, per `@bond/io`'s `selectBackend`
 * (`BOND_IO_BACKEND=auto|native|dgram` overrides the option). The runtime depends on the native
 * packages and hands their loader to `@bond/io`, because pnpm does not hoist them where `@bond/io`
 * could import them by name.
 */
import {
  selectBackend,
  type BackendChoice,
  type BackendSelection,
  type NativeBackendStatus,
} from '@bond/io';

/** This platform's native backend, loaded on first use; never throws. */
export async function loadPlatformNative(): Promise<NativeBackendStatus> {
  try {
    if (process.platform === 'linux') return (await import('@bond/io-linux')).loadNativeBackend();
    if (process.platform === 'darwin') return (await import('@bond/io-apple')).loadNativeBackend();
  } catch (error) {
    return {
      backend: undefined,
      loadError: error instanceof Error ? error : new Error(String(error)),
    };
  }
  return {
    backend: undefined,
    loadError: new Error(`no native IO backend for ${process.platform}`),
  };
}

/** What `openSocket` with `auto` would choose here, and why (for `--doctor` and logs). */
export function selectIoBackend(
  choice: BackendChoice = 'auto',
  env: Record<string, string | undefined> = process.env,
): Promise<BackendSelection> {
  return selectBackend({ backend: choice, env, loadNative: loadPlatformNative });
}
