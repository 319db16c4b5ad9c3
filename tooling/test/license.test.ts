// Every package that ships (each package not marked private, and both apps, installed with
// `npm install -g`) carries the MIT licence its package.json names: a LICENSE file with the MIT
// text and the project's copyright line, listed in `files` so the tarball has it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface PackageJson {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

// The apps (published like the libraries) are listed by name: they must never be left out.
const apps = ['apps/receiver', 'apps/sender'].map((dir) => join(root, dir));
const shipped = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && readPackage(dir).private !== true)
  .concat(apps);

/** The MIT licence's fixed sentences (https://opensource.org/license/mit), whitespace-normalised. */
const mitSentences = [
  'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:',
  'The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.',
  'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.',
];

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

function expectMit(file: string): void {
  expect(existsSync(file), `${relative(root, file)} is missing`).toBe(true);
  const text = readFileSync(file, 'utf8');
  expect(text.split('\n')[0]).toBe('MIT License');
  expect(text).toMatch(/^Copyright \(c\) 2026 the bond authors$/m);
  for (const sentence of mitSentences) expect(squash(text)).toContain(sentence);
}

describe('licence', () => {
  it('the repository root has the MIT LICENSE and says MIT', () => {
    expectMit(join(root, 'LICENSE'));
    expect(readPackage(root).license).toBe('MIT');
  });

  it('finds the packages that ship: the non-private ones and both apps', () => {
    const names = shipped.map((dir) => readPackage(dir).name);
    expect(names).toEqual(expect.arrayContaining(['@bond/core', '@bond/wire']));
    expect(names).toEqual(expect.arrayContaining(['@bond/receiver', '@bond/sender']));
  });

  for (const dir of shipped) {
    const pkg = readPackage(dir);
    it(`${pkg.name} ships the MIT LICENSE, the same text as the root's, listed in files`, () => {
      expect(pkg.license).toBe('MIT');
      expectMit(join(dir, 'LICENSE'));
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(
        readFileSync(join(root, 'LICENSE'), 'utf8'),
      );
      expect(pkg.files ?? [], `${pkg.name}: package.json files`).toContain('LICENSE');
    });
  }
});
