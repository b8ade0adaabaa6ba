/** Flags shared by every command that loads a job (the original's names, plus ours). */
import { type Command, Option } from 'commander';

/** The flags withSecretOptions adds. */
export interface SecretFlags {
  mode: 'self_hosted' | 'cloud';
  secretManager?: string;
  secretsDir?: string;
  secretManagerConfig?: string;
}

export interface CommonOptions extends SecretFlags {
  config?: string;
  jobDir?: string;
  tenantId?: string;
  stateDir?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Deployment mode and secret-manager flags: every command that loads jobs (run, start, worker). */
export function withSecretOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--mode <mode>', 'deployment mode').choices(['self_hosted', 'cloud']).default('self_hosted'),
    )
    .addOption(
      new Option('--secret-manager <name>', 'env | filesystem | vault | aws | gcp').env(
        'DATIVO_SECRET_MANAGER',
      ),
    )
    .option('--secrets-dir <dir>', 'folder of the filesystem secret manager (<dir>/<tenant>/*)', '/secrets')
    .addOption(
      new Option(
        '--secret-manager-config <pathOrJson>',
        'secret manager settings: a YAML/JSON file or inline JSON',
      ).env('DATIVO_SECRET_MANAGER_CONFIG'),
    );
}

export function withJobOptions(cmd: Command, opts: { jobDir: boolean }): Command {
  cmd.option('-c, --config <file>', 'job file (YAML)');
  if (opts.jobDir) cmd.option('--job-dir <dir>', 'run every job file found below this folder');
  return withSecretOptions(cmd)
    .option('--tenant-id <id>', 'tenant whose secrets are loaded; jobs of other tenants are refused')
    .addOption(new Option('--state-dir <dir>', 'root folder of incremental state files').env('STATE_DIR'))
    .option('--json', 'print a machine-readable report on stdout')
    .option('--verbose', 'debug logs and stack traces');
}

export function requireOneOf(opts: CommonOptions, allowJobDir: boolean): void {
  const given = [opts.config, allowJobDir ? opts.jobDir : undefined].filter(Boolean).length;
  if (given !== 1) {
    const what = allowJobDir ? 'exactly one of --config or --job-dir' : '--config';
    throw new UsageError(`${what} is required`);
  }
}

export class UsageError extends Error {}

/** Where run history is kept (run, start, worker, runs, console). */
export function storeOption(): Option {
  return new Option(
    '--store <url>',
    'run history store: postgres://… or a SQLite file (default: <state dir>/dativo.db)',
  ).env('DATIVO_STORE');
}
