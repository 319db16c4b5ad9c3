/**
 * The settings both apps take for their HTTP server: `--http` (where it listens) and `--http-token`
 * (the secret its pages and APIs ask for). One definition each, so both apps' `--help`, parsing and
 * messages agree; each app spreads {@link HTTP_SETTINGS} into its table. The token may also come from
 * the environment ({@link HTTP_ENVIRONMENT}: `BOND_HTTP_TOKEN`), which keeps it out of `ps` output.
 */
import { HttpAddressError, parseHttpAddress, type HttpAddress } from './http-address.js';
import { SettingError, type SettingsTable } from './settings-table.js';

/** The fields {@link HTTP_SETTINGS} set. */
export interface HttpSettings {
  /** Where the HTTP server listens; undefined: no HTTP server. */
  readonly http: HttpAddress | undefined;
  /** The token every route but `/healthz` asks for; undefined: open to whoever reaches it. */
  readonly httpToken: string | undefined;
}

/** 16: the shortest token taken (`openssl rand -hex 16` gives 32 characters). */
export const HTTP_TOKEN_MIN_LENGTH = 16;

/** 256: the longest token taken (it travels in a header). */
const HTTP_TOKEN_MAX_LENGTH = 256;

/**
 * An `--http-token` value: 16 to 256 visible ASCII characters (no spaces), so it fits a header, a
 * query string (URL-encoded) and a config file as given.
 */
export function parseHttpToken(raw: string, name = 'http-token'): string {
  const token = raw.trim();
  if (!/^[\x21-\x7e]*$/.test(token)) {
    throw new SettingError(
      `${name} must be visible ASCII characters without spaces (for example the output of: openssl rand -hex 16)`,
    );
  }
  if (token.length < HTTP_TOKEN_MIN_LENGTH || token.length > HTTP_TOKEN_MAX_LENGTH) {
    // The message never repeats the token: it is a secret, and messages end up in logs.
    throw new SettingError(
      `${name} must be ${HTTP_TOKEN_MIN_LENGTH} to ${HTTP_TOKEN_MAX_LENGTH} characters long, got ${token.length} (for example the output of: openssl rand -hex 16)`,
    );
  }
  return token;
}

/** `http` and `http-token`; neither reloads (the server is started once). */
export const HTTP_SETTINGS: SettingsTable<HttpSettings> = {
  http: {
    value: 'ADDR:PORT',
    help: 'serve the dashboard /, /metrics, /api/v1/stats, /api/v1/events and /healthz here (off unless given): PORT for this machine only (127.0.0.1), ADDR:PORT, [IPV6]:PORT, or :PORT for every address',
    field: 'http',
    parse: (raw) => {
      try {
        return parseHttpAddress(raw);
      } catch (error) {
        if (error instanceof HttpAddressError) throw new SettingError(error.message);
        throw error;
      }
    },
  },
  'http-token': {
    value: 'TOKEN',
    help: `ask for this secret (${HTTP_TOKEN_MIN_LENGTH}+ characters) on every HTTP route but /healthz: "Authorization: Bearer TOKEN", or open /?token=TOKEN once in a browser (it sets a cookie); prefer BOND_HTTP_TOKEN or the config file, which ps does not show`,
    field: 'httpToken',
    parse: (raw) => parseHttpToken(raw),
  },
};

/** The environment variables that set a setting, by variable: `BOND_HTTP_TOKEN` sets `http-token`. */
export const HTTP_ENVIRONMENT: Readonly<Record<string, string>> = {
  BOND_HTTP_TOKEN: 'http-token',
};
