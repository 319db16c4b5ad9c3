/**
 * The live status view on a terminal: a block of lines redrawn in place (cursor up, clear to the
 * end of the screen, draw). Log lines go through {@link LiveView.logOutput} so they print above the
 * block instead of being overwritten by it.
 */
import type { LogOutput } from '@bond/runtime';

export interface TerminalOutput extends LogOutput {
  /** Width in characters; lines are cut to it so none wraps (wrapping would break the redraw). */
  readonly columns?: number;
}

export interface LiveView {
  /** Where log lines go while the view is shown. */
  readonly logOutput: LogOutput;
  /** Replaces the block with `lines`. */
  show(lines: readonly string[]): void;
  /** Clears the block; later log lines print plainly. */
  close(): void;
}

export function createLiveView(output: TerminalOutput): LiveView {
  let lines: readonly string[] = [];
  let drawn = 0;
  let open = true;
  const clear = () => {
    if (drawn > 0) output.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (!open || lines.length === 0) return;
    const width = Math.max(20, (output.columns ?? 120) - 1);
    output.write(`${lines.map((line) => line.slice(0, width)).join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    logOutput: {
      isTTY: true,
      write(line: string) {
        clear();
        output.write(line);
        draw();
        return true;
      },
    },
    show(next) {
      lines = next;
      clear();
      draw();
    },
    close() {
      open = false;
    },
  };
}
