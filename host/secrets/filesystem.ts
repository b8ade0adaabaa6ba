/**
 * Secrets from files: `{secrets_dir}/{tenant}/*`. `.json` is JSON, `.env` is dotenv, anything else
 * is text (trimmed). The key is the file stem, lower-cased. Hidden files and folders are skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DativoError } from '../errors.js';
import { loaded, type SecretManager } from './manager.js';
import { parseSecretPayload } from './parse.js';

export interface FilesystemSecretManagerOptions {
  secrets_dir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The original's default (`--secrets-dir /secrets`). */
/** Relative to the working directory; containers set DATIVO_SECRETS_DIR=/secrets. */
export const DEFAULT_SECRETS_DIR = 'secrets';

export function createFilesystemSecretManager(options: FilesystemSecretManagerOptions = {}): SecretManager {
  const root = options.secrets_dir ?? DEFAULT_SECRETS_DIR;
  const env = options.env ?? process.env;

  return {
    kind: 'filesystem',
    async load(tenant: string): Promise<Record<string, unknown>> {
      const dir = path.join(root, tenant);
      let names: string[];
      try {
        names = (await readdir(dir)).sort();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why =
          code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : String(code);
        throw new DativoError(
          'SECRETS_UNAVAILABLE',
          `secrets folder ${dir} for tenant ${tenant} ${why} (set --secrets-dir or create it)`,
          { location: { file: dir }, cause: err },
        );
      }
      const secrets: Record<string, unknown> = {};
      for (const name of names) {
        if (name.startsWith('.')) continue;
        const file = path.join(dir, name);
        if (!(await stat(file)).isFile()) continue;
        const ext = path.extname(name).toLowerCase();
        const key = path.parse(name).name.toLowerCase();
        const format = ext === '.json' ? 'json' : ext === '.env' ? 'env' : 'text';
        const text = await readFile(file, 'utf8');
        try {
          secrets[key] = loaded(parseSecretPayload(text, { format, env, label: key }));
        } catch (err) {
          if (err instanceof DativoError) {
            throw new DativoError(err.code, `${err.message}: ${file}`, { location: { file }, cause: err });
          }
          throw err;
        }
      }
      return secrets;
    },
  };
}
