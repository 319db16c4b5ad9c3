// What every benchmark does with its figures: medians of rounds, a Markdown table for people, the
// JSON report for machines (`--json FILE`), and the SVG plots drawn from that JSON (`--svg DIR`,
// default: next to the JSON file) by lib/figures.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { figuresFor } from './figures.mjs';

/** The median of a non-empty list of numbers (the mean of the middle two for an even count). */
export function median(list) {
  if (list.length === 0) throw new Error('median of no values: a benchmark round produced none');
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `value` rounded to `digits` decimals, as a number (for JSON and tables). */
export const round = (value, digits = 3) =>
  Number.isFinite(value) ? Number(value.toFixed(digits)) : null;

/**
 * A Markdown table with padded columns (the form prettier leaves unchanged), so a table printed by
 * a benchmark can be pasted into docs as it is.
 */
export function markdownTable(header, rows) {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))));
  const widths = header.map((title, c) =>
    Math.max(3, title.length, ...text.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** The `--json FILE` and `--svg DIR` options every benchmark takes, for `node:util.parseArgs`. */
export const outputOptions = {
  json: { type: 'string' },
  svg: { type: 'string' },
};

/**
 * `report` as JSON text for the file `path`, formatted as the repository's prettier formats it
 * (when prettier can be loaded, as in a checkout with its dev dependencies), so a report written
 * into docs/ passes `pnpm lint` as it is; plain `JSON.stringify` indentation otherwise. For
 * reports whose plain JSON prettier would reformat (arrays of numbers); pass the text to
 * `writeOutputs`.
 */
export async function formattedJson(report, path) {
  const plain = `${JSON.stringify(report, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    return await prettier.format(plain, { ...config, filepath: path, parser: 'json' });
  } catch {
    return plain;
  }
}

/**
 * Writes `report` as JSON to `json` (if given; `text`: the JSON already formatted, e.g. by
 * `formattedJson`) and its plots as SVG files into `svg` (default: the JSON file's folder; no
 * plots when neither is given). Prints what it wrote; returns the paths.
 */
export function writeOutputs(report, { json, svg }, text = undefined) {
  const written = [];
  if (json !== undefined) {
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(json, text ?? `${JSON.stringify(report, null, 2)}\n`);
    written.push(json);
  }
  const folder = svg ?? (json === undefined ? undefined : dirname(json));
  if (folder !== undefined) written.push(...writeFigures(report, folder));
  for (const path of written) console.log(`wrote ${path}`);
  return written;
}

/** Draws the plots of one report into `folder`, named `<figure>.svg`; returns the paths. */
export function writeFigures(report, folder) {
  mkdirSync(folder, { recursive: true });
  return figuresFor(report).map(({ name, svg }) => {
    const path = join(folder, `${name}.svg`);
    writeFileSync(path, svg);
    return path;
  });
}

/** Throws a usage error naming the option when `ok` is false. */
export function requireOption(ok, message) {
  if (!ok) throw new Error(`bad option: ${message}`);
}
