// The command line of the benchmark scripts: `--help` (-h) prints the script's own header comment
// (what it measures, its usage) and every option with its default; an unknown option or a missing
// value is one line naming it, exit status 2, instead of Node's stack trace.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * The script's header: its leading `//` comment lines (after the `#!` line), without the `// `.
 * @param {string} source
 */
export function headerComment(source) {
  const lines = [];
  for (const line of source.split('\n')) {
    if (line.startsWith('#!')) continue;
    if (!line.startsWith('//')) break;
    lines.push(line.replace(/^\/\/ ?/, ''));
  }
  return lines.join('\n');
}

/**
 * The help text: the header comment, then each option (`--name VALUE`, its default).
 * @param {string} header
 * @param {Record<string, { type: 'string' | 'boolean', short?: string, default?: unknown }>} options
 */
export function helpText(header, options) {
  const rows = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short === undefined ? '    ' : `-${option.short}, `}--${name}${option.type === 'string' ? ' VALUE' : ''}`;
    const fallback =
      option.default === undefined || option.default === false
        ? ''
        : ` (default ${String(option.default)})`;
    return `  ${flag.padEnd(28)}${fallback}`.trimEnd();
  });
  return `${header}\n\nOptions:\n${rows.join('\n')}\n  -h, --help                  this text`;
}

/**
 * `parseArgs` for a benchmark script run from the command line: prints the help and exits 0 on
 * `--help`, prints `NAME: bad option: ...` and exits 2 on an option it does not know (or one
 * without its value).
 * @template {Record<string, { type: 'string' | 'boolean', short?: string, default?: unknown }>} O
 * @param {string} scriptUrl the script's `import.meta.url`
 * @param {{ options: O, allowPositionals?: boolean, args?: string[] }} config
 */
export function benchArgs(scriptUrl, config) {
  const name = basename(fileURLToPath(scriptUrl));
  let parsed;
  try {
    parsed = parseArgs({
      ...config,
      options: { ...config.options, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    });
  } catch (error) {
    if (!isBadOption(error)) throw error;
    exitBadOption(name, error);
  }
  if (parsed.values.help) {
    const source = readFileSync(fileURLToPath(scriptUrl), 'utf8');
    console.log(helpText(headerComment(source), config.options));
    process.exit(0);
  }
  return parsed;
}

/**
 * Whether `error` is `parseArgs`'s complaint about the command line (an unknown option, a
 * missing value), not a fault of the script.
 * @param {unknown} error
 */
export function isBadOption(error) {
  return error instanceof TypeError && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/**
 * Says `NAME: bad option: ...` in one line and exits with status 2.
 * @param {string} name the script's name
 * @param {Error} error from `parseArgs`
 * @returns {never}
 */
export function exitBadOption(name, error) {
  process.stderr.write(`${name}: bad option: ${error.message} (--help for the options)\n`);
  process.exit(2);
}
