/**
 * linkem's errors: one `BondError` subclass per condition, each with a stable `BOND_ERR_LINKEM_*`
 * code. Messages say what was wrong and what to do.
 */
import { BondError } from '@bond/wire';

/**
 * An emulator option (or a scenario file field) is invalid. `path` names the field, for example
 * `links[1].up.lossRate`.
 */
export class LinkemConfigError extends BondError {
  static readonly code = 'BOND_ERR_LINKEM_CONFIG';
  /** Where the bad value is, in the options or scenario file, for example `links[0].up.rateBps`. */
  readonly path: string;
  /** What is wrong with it and what it must be. */
  readonly problem: string;

  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(LinkemConfigError.code, `${path}: ${problem}`, options);
    this.path = path;
    this.problem = problem;
  }
}

/** A scenario file could not be read or is not JSON. */
export class LinkemScenarioFileError extends BondError {
  static readonly code = 'BOND_ERR_LINKEM_SCENARIO_FILE';
  readonly file: string;

  constructor(file: string, problem: string, options?: ErrorOptions) {
    super(LinkemScenarioFileError.code, `scenario file ${file}: ${problem}`, options);
    this.file = file;
  }
}

/** A trace file could not be read or holds something other than ascending millisecond offsets. */
export class LinkemTraceError extends BondError {
  static readonly code = 'BOND_ERR_LINKEM_TRACE';

  constructor(source: string, problem: string, options?: ErrorOptions) {
    super(LinkemTraceError.code, `trace ${source}: ${problem}`, options);
  }
}

/** A relay socket could not be bound (listen address in use, not local, ...). */
export class LinkemBindError extends BondError {
  static readonly code = 'BOND_ERR_LINKEM_BIND';

  constructor(link: string, what: string, endpoint: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? options.cause.message : 'unknown error';
    super(
      LinkemBindError.code,
      `link "${link}": could not bind the ${what} socket on ${endpoint} (${reason}); ` +
        'choose a free local address and port (port 0 picks a free one)',
      options,
    );
  }
}

/** An operation was asked of an emulator or link that is already closed. */
export class LinkemClosedError extends BondError {
  static readonly code = 'BOND_ERR_LINKEM_CLOSED';

  constructor(what: string) {
    super(LinkemClosedError.code, `${what}: the emulator is closed; create a new one`);
  }
}
