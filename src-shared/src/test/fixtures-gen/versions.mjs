// The exact writer versions, read from the installed packages so the manifest names what wrote each file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const modules = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules');
const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;
export const versions = {
  'nodejs-polars': versionOf('nodejs-polars'),
  'apache-arrow': versionOf('apache-arrow'),
};
