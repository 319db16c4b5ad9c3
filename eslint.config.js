import { createEslintConfig } from './tooling/eslint/config.js';

export default createEslintConfig({ rootDir: import.meta.dirname });
