/**
 * Watches the uplink file with `fs.watch` and calls `onChange` once per burst of events (debounced:
 * editors write a file in several steps). A file replaced by rename (most editors, `mv`) ends the
 * old watch; the watch is set up again on the new file, retried while the file is missing.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface UplinkWatch {
  /** Stops watching; no `onChange` after it returns. */
  close(): void;
}

export interface UplinkWatchOptions {
  readonly debounceMs: number;
  readonly onChange: () => void;
  /** Called when the file cannot be watched (the watch is retried after `debounceMs`). */
  readonly onWatchError: (error: Error) => void;
}

export function watchUplinkFile(path: string, options: UplinkWatchOptions): UplinkWatch {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let replaced = false;
  let reportedMissing = false;

  const start = (): boolean => {
    try {
      watcher = watch(path, { persistent: false }, (event) => {
        if (event === 'rename') replaced = true;
        schedule();
      });
      watcher.on('error', () => {
        replaced = true;
        schedule();
      });
      reportedMissing = false;
      return true;
    } catch (error) {
      watcher = undefined;
      if (!reportedMissing) {
        reportedMissing = true;
        options.onWatchError(error instanceof Error ? error : new Error(String(error)));
      }
      return false;
    }
  };

  const fire = () => {
    timer = undefined;
    if (closed) return;
    if (replaced || watcher === undefined) {
      replaced = false;
      watcher?.close();
      watcher = undefined;
      if (!start()) {
        // Missing for now (mid-replace, or deleted): look again later; report its contents then.
        timer = setTimeout(fire, options.debounceMs);
        timer.unref();
        return;
      }
    }
    options.onChange();
  };

  function schedule(): void {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(fire, options.debounceMs);
    timer.unref();
  }

  if (!start()) schedule();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}
