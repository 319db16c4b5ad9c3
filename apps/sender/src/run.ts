/**
 * `run(options, deps)`: bond-sender without the process. Reads the settings and the uplink file,
 * starts the sender (`@bond/runtime`) with one link per uplink, keeps the links in step with the
 * file (SIGHUP's `reload()` and a file watch), shows the live view or logs status lines, writes
 * `--stats-json` snapshots, serves HTTP when asked, and returns a handle to reload and close it.
 * `bin.ts` adds only argument parsing, signals and the exit code.
 */
import { isIP } from 'node:net';
import {
  createSender,
  resolveReceiver,
  type CreateSenderOptions,
  type Sender,
  type SenderLinkOptions,
} from '@bond/runtime';
import packageJson from '../package.json' with { type: 'json' };
import { startHttpServer, type StatsHttpServer } from './http-server.js';
import { AlarmWatch } from './alarms.js';
import { LossWindow, RttFloor, formatStatusLines } from './link-status.js';
import { createLiveView, type LiveView, type TerminalOutput } from './live-view.js';
import { createLogger, type AppLogger } from '@bond/runtime';
import {
  environmentSettings,
  loadConfigFile,
  resolveSettings,
  type PartialSettings,
  type SenderSettings,
} from './settings.js';
import { senderStatsDocument, type SenderStatsDocument } from './stats-document.js';
import { openStatsJson } from './stats-json.js';
import {
  UplinkFileError,
  formatUplinkProblem,
  loadUplinkFile,
  type Uplink,
  type UplinkList,
} from './uplink-file.js';
import { watchUplinkFile, type UplinkWatch } from './uplink-watch.js';
import { resolveWithRetry, type ReceiverResolver, type ResolveRetry } from './resolve-retry.js';

export const VERSION: string = packageJson.version;

/** 250: editors save in bursts of events well under a quarter second. */
const DEFAULT_WATCH_DEBOUNCE_MS = 250;

export interface RunOptions {
  /** What the command line set; it wins over the config file. */
  readonly settings: PartialSettings;
  readonly configFile: string | undefined;
}

export interface RunDeps {
  /** Where log lines and the live view go (the process's stderr). */
  readonly logOutput: TerminalOutput;
  /** Where `--stats-json -` writes. Default: `process.stdout`. */
  readonly statsOutput?: { write(line: string): unknown };
  /** Open sockets on this backend instead of choosing one (tests). */
  readonly io?: CreateSenderOptions['io'];
  /** Quiet time after a file event before the uplink file is re-read, ms. Default 250. */
  readonly watchDebounceMs?: number;
  /** Where `BOND_HTTP_TOKEN` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Resolves the receiver's name. Default: `@bond/runtime`'s `resolveReceiver` (the system's resolver). */
  readonly resolveReceiver?: ReceiverResolver;
  /** Back-off while the receiver's name does not resolve yet. Default 1 s doubling to 10 s. */
  readonly resolveRetry?: ResolveRetry;
  /** Aborts a start still waiting for the receiver's name (rejects with `ResolveAbortedError`). */
  readonly signal?: AbortSignal;
}

/** A link as bond-sender runs it: the runtime's id and the uplink it came from. */
export interface ActiveLink {
  readonly id: number;
  readonly address: string;
  readonly name: string;
  readonly priority: number;
}

export interface UplinkReloadOutcome {
  readonly ok: boolean;
  /** Addresses of links added, removed, and changed in place. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  /** Lines skipped, as `file:line: reason`. */
  readonly skipped: readonly string[];
  readonly error?: string;
}

export interface RunningSender {
  readonly sender: Sender;
  /** The HTTP server (`--http`), with the address it listens on; undefined without `--http`. */
  readonly http: StatsHttpServer | undefined;
  readonly logger: AppLogger;
  settings(): SenderSettings;
  /** A stats document now: what `--stats-json` writes and `/api/v1/stats` serves. */
  stats(): SenderStatsDocument;
  /** The links now running, in file order. */
  links(): readonly ActiveLink[];
  /** Re-reads the uplink file and applies the difference; refuses a file with no valid address. */
  reloadUplinks(): Promise<UplinkReloadOutcome>;
  /** SIGHUP: re-reads the config file's log level and format, then the uplink file. */
  reload(): Promise<UplinkReloadOutcome>;
  /** Stops the watch, the timers, the HTTP server and the sender. Idempotent. */
  close(): Promise<void>;
}

/** Defaults < config file < environment (`BOND_HTTP_TOKEN`) < command line. */
async function readSettings(options: RunOptions, deps: RunDeps): Promise<SenderSettings> {
  const fromFile = options.configFile === undefined ? {} : await loadConfigFile(options.configFile);
  const fromEnvironment = environmentSettings(deps.env ?? process.env);
  return resolveSettings(fromFile, fromEnvironment, options.settings, {
    configFile: options.configFile,
  });
}

/** The file's uplinks with `--link-name` and `--link-priority` applied. */
function withOverrides(uplinks: readonly Uplink[], settings: SenderSettings): Uplink[] {
  return uplinks.map((uplink) => {
    const name =
      settings.linkNames.find((entry) => entry.address === uplink.address)?.name ?? uplink.name;
    const priority =
      settings.linkPriorities.find(
        (entry) => entry.link === uplink.address || (name !== undefined && entry.link === name),
      )?.priority ?? uplink.priority;
    return { ...uplink, name, priority };
  });
}

/** The IP family most uplinks have: the receiver's name is resolved preferring it. */
function preferredFamily(uplinks: readonly Uplink[]): 4 | 6 {
  const six = uplinks.filter((uplink) => isIP(uplink.address) === 6).length;
  return six > uplinks.length - six ? 6 : 4;
}

export async function run(options: RunOptions, deps: RunDeps): Promise<RunningSender> {
  let settings = await readSettings(options, deps);
  const terminal = deps.logOutput.isTTY === true;
  const view: LiveView | undefined = terminal ? createLiveView(deps.logOutput) : undefined;
  const logger = createLogger(
    settings.logLevel,
    settings.logFormat,
    view?.logOutput ?? deps.logOutput,
  );
  const path = settings.ipsFile;

  const first = await loadUplinkFile(path);
  const firstUplinks = withOverrides(first.uplinks, settings);
  const receiver = await resolveWithRetry(
    deps.resolveReceiver ?? resolveReceiver,
    settings.srtlaHost,
    settings.srtlaPort,
    preferredFamily(firstUplinks),
    logger,
    { ...deps.resolveRetry, ...(deps.signal === undefined ? {} : { signal: deps.signal }) },
  );
  /** Splits `list` into the uplinks of the receiver's family and the skipped lines. */
  const usable = (list: UplinkList) => {
    const skipped = list.problems.map((problem) => formatUplinkProblem(list.path, problem));
    const uplinks: Uplink[] = [];
    for (const uplink of withOverrides(list.uplinks, settings)) {
      if (isIP(uplink.address) === receiver.family) {
        uplinks.push(uplink);
      } else {
        skipped.push(
          `${list.path}:${uplink.line}: ${uplink.address} is IPv${isIP(uplink.address)} but the receiver ${receiver.ip} is IPv${receiver.family}: list addresses of the receiver's family`,
        );
      }
    }
    return { uplinks, skipped };
  };
  const start = usable(first);
  for (const line of start.skipped) logger.warn('uplink line skipped', { line });
  if (start.uplinks.length === 0) {
    throw new UplinkFileError(
      path,
      `no uplink address of the receiver's family (IPv${receiver.family}): ${start.skipped.join('; ')}`,
    );
  }

  let nextId = 1;
  const active = new Map<string, ActiveLink & { kind: Uplink['kind'] }>();
  const linkOptions = (uplink: Uplink, id: number): SenderLinkOptions => ({
    id,
    bindAddress: uplink.address,
    name: uplink.name ?? uplink.address,
    priority: uplink.priority ?? 100,
    ...(uplink.kind === undefined ? {} : { kind: uplink.kind }),
  });
  const remember = (uplink: Uplink, id: number) => {
    active.set(uplink.address, {
      id,
      address: uplink.address,
      name: uplink.name ?? uplink.address,
      priority: uplink.priority ?? 100,
      kind: uplink.kind,
    });
  };
  const initial = start.uplinks.map((uplink) => {
    const id = nextId++;
    remember(uplink, id);
    return linkOptions(uplink, id);
  });

  const stats =
    settings.statsJson === undefined
      ? undefined
      : await openStatsJson(settings.statsJson, deps.statsOutput ?? process.stdout);
  let sender: Sender;
  try {
    sender = await createSender({
      listen: { address: settings.listen, port: settings.srtListenPort },
      receiver: { host: receiver.ip, port: receiver.port },
      links: initial,
      scheduler: settings.scheduler,
      backend: settings.ioBackend,
      logger,
      ...(deps.io === undefined ? {} : { io: deps.io }),
    });
  } catch (error) {
    await stats?.close();
    throw error;
  }

  // One RTT floor, loss window and alarm state for the view, the status lines, --stats-json and
  // HTTP: queueing delay, loss and alarms agree everywhere.
  const alarms = new AlarmWatch(logger);
  const history = { floor: new RttFloor(), losses: new LossWindow(), alarms };
  const statsDocument = (): SenderStatsDocument => senderStatsDocument(sender.stats(), history);
  let http: StatsHttpServer | undefined;
  if (settings.http !== undefined) {
    try {
      http = await startHttpServer(
        settings.http,
        settings.httpToken,
        statsDocument,
        VERSION,
        logger,
      );
    } catch (error) {
      await sender.close();
      await stats?.close();
      throw error;
    }
  }

  const applyUplinks = async (): Promise<UplinkReloadOutcome> => {
    let list: UplinkList;
    try {
      list = await loadUplinkFile(path);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error('uplink file reload refused: keeping the running links', { error: message });
      return { ok: false, added: [], removed: [], changed: [], skipped: [], error: message };
    }
    const next = usable(list);
    for (const line of next.skipped) logger.warn('uplink line skipped', { line });
    if (next.uplinks.length === 0) {
      const message = `uplink file ${path}: no uplink address of the receiver's family (IPv${receiver.family})`;
      logger.error('uplink file reload refused: keeping the running links', { error: message });
      return {
        ok: false,
        added: [],
        removed: [],
        changed: [],
        skipped: next.skipped,
        error: message,
      };
    }
    const wanted = new Map(next.uplinks.map((uplink) => [uplink.address, uplink]));
    const removed: string[] = [];
    const added: string[] = [];
    const changed: string[] = [];
    for (const [address, link] of [...active]) {
      if (wanted.has(address)) continue;
      active.delete(address);
      await sender.removeLink(link.id);
      removed.push(address);
    }
    for (const uplink of next.uplinks) {
      const current = active.get(uplink.address);
      if (current === undefined) {
        const id = nextId++;
        await sender.addLink(linkOptions(uplink, id));
        remember(uplink, id);
        added.push(uplink.address);
        continue;
      }
      const priority = uplink.priority ?? 100;
      const name = uplink.name ?? uplink.address;
      if (priority !== current.priority) {
        sender.setLinkPriority(current.id, priority);
        active.set(uplink.address, { ...current, priority });
        changed.push(uplink.address);
      }
      if (name !== current.name || uplink.kind !== current.kind) {
        logger.warn('uplink name or kind changed: it applies when the link is next added', {
          address: uplink.address,
          running: current.name,
          file: name,
          hint: 'remove the line, reload, then add it back (or restart)',
        });
      }
    }
    // File order, so links() and the view follow the file.
    const order = next.uplinks.map((uplink) => uplink.address);
    const sorted = [...active].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    active.clear();
    for (const [address, link] of sorted) active.set(address, link);
    if (added.length + removed.length + changed.length > 0) {
      logger.info('uplinks reloaded', { added, removed, changed, links: active.size });
    } else {
      logger.debug('uplinks reloaded: no change', { links: active.size });
    }
    return { ok: true, added, removed, changed, skipped: next.skipped };
  };

  // One reload at a time: a file event during a SIGHUP reload waits for it.
  let reloading: Promise<UplinkReloadOutcome> = Promise.resolve({
    ok: true,
    added: [],
    removed: [],
    changed: [],
    skipped: [],
  });
  let closed = false;
  const reloadUplinks = (): Promise<UplinkReloadOutcome> => {
    reloading = reloading
      .then(() =>
        closed
          ? { ok: false, added: [], removed: [], changed: [], skipped: [], error: 'closed' }
          : applyUplinks(),
      )
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        logger.error('uplink file reload failed part-way', { error: message });
        return { ok: false, added: [], removed: [], changed: [], skipped: [], error: message };
      });
    return reloading;
  };

  const watcher: UplinkWatch = watchUplinkFile(path, {
    debounceMs: deps.watchDebounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS,
    onChange: () => {
      void reloadUplinks();
    },
    onWatchError: (error) => {
      logger.warn('cannot watch the uplink file: changes apply on SIGHUP', {
        path,
        error: error.message,
      });
    },
  });

  const tick = () => {
    const snapshot = statsDocument();
    stats?.write(snapshot);
    const alarm = alarms.update(snapshot);
    if (view !== undefined) view.show(formatStatusLines(snapshot, snapshot.linkStatus, alarm));
  };
  const statsTimer = setInterval(tick, settings.statsIntervalMs);
  const statusTimer =
    view === undefined
      ? setInterval(() => {
          const snapshot = statsDocument();
          logger.info('status', {
            ...(snapshot.alarm === null ? {} : { alarm: snapshot.alarm }),
            phase: snapshot.phase,
            linksUp: snapshot.linksHealthy,
            receiverKind: snapshot.receiverKind,
            packetsFromEncoder: snapshot.packetsFromEncoder,
            droppedNoLink: snapshot.droppedNoLink,
            links: snapshot.linkStatus,
          });
        }, settings.statusIntervalMs)
      : undefined;

  let closing: Promise<void> | undefined;
  return {
    sender,
    http,
    logger,
    settings: () => settings,
    stats: statsDocument,
    links: () =>
      [...active.values()].map(({ id, address, name, priority }) => ({
        id,
        address,
        name,
        priority,
      })),
    reloadUplinks,
    async reload() {
      if (options.configFile !== undefined) {
        try {
          const next = await readSettings(options, deps);
          logger.configure(next.logLevel, next.logFormat);
          settings = { ...settings, logLevel: next.logLevel, logFormat: next.logFormat };
        } catch (error) {
          logger.error('config reload refused: keeping the running configuration', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      return reloadUplinks();
    },
    close() {
      closing ??= (async () => {
        closed = true;
        watcher.close();
        clearInterval(statsTimer);
        if (statusTimer !== undefined) clearInterval(statusTimer);
        await reloading;
        view?.close();
        await http?.close();
        await sender.close();
        await stats?.close();
      })();
      return closing;
    },
  };
}
