/** Flags shared by every command that loads a job (the original's names, plus ours). */
import { type Command, InvalidArgumentError, Option } from 'commander';

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
  logFormat?: 'json' | 'pretty';
  quiet?: boolean;
}

const DEPLOYMENT_MODES = ['self_hosted', 'cloud'];

/**
 * `--mode` is the deployment mode; `oneshot`/`orchestrated` (the natural guess for `start`) are
 * run modes, given as `start`'s argument: say so instead of only listing the choices.
 */
export function parseDeploymentMode(value: string): 'self_hosted' | 'cloud' {
  if (DEPLOYMENT_MODES.includes(value)) return value as 'self_hosted' | 'cloud';
  if (value === 'oneshot' || value === 'orchestrated')
    throw new InvalidArgumentError(
      `"${value}" is a run mode, given without a flag: dativo start ${value} --runner-config FILE. ` +
        '--mode is the deployment mode: self_hosted (default) or cloud (refuses connectors that need a private network or the local disk: postgres, mysql, local).',
    );
  throw new InvalidArgumentError(`Allowed choices are ${DEPLOYMENT_MODES.join(', ')}.`);
}

/** Deployment mode and secret-manager flags: every command that loads jobs (run, start, worker). */
export function withSecretOptions(cmd: Command): Command {
  return (
    cmd
      .addOption(
        new Option('--mode <mode>', 'deployment mode: self_hosted | cloud')
          .argParser(parseDeploymentMode)
          .default('self_hosted'),
      )
      .addOption(
        new Option('--secret-manager <name>', 'env | filesystem | vault | aws | gcp').env(
          'DATIVO_SECRET_MANAGER',
        ),
      )
      // Relative to the working directory; the container image sets DATIVO_SECRETS_DIR=/secrets.
      .addOption(
        new Option('--secrets-dir <dir>', 'folder of the filesystem secret manager (<dir>/<tenant>/*)')
          .env('DATIVO_SECRETS_DIR')
          .default('secrets'),
      )
      .addOption(
        new Option(
          '--secret-manager-config <pathOrJson>',
          'secret manager settings: a YAML/JSON file or inline JSON',
        ).env('DATIVO_SECRET_MANAGER_CONFIG'),
      )
  );
}

export function withJobOptions(cmd: Command, opts: { jobDir: boolean }): Command {
  cmd.option('-c, --config <file>', 'job file (YAML)');
  if (opts.jobDir) cmd.option('--job-dir <dir>', 'run every job file found below this folder');
  return withSecretOptions(cmd)
    .option('--tenant-id <id>', 'tenant whose secrets are loaded; jobs of other tenants are refused')
    .addOption(new Option('--state-dir <dir>', 'root folder of incremental state files').env('STATE_DIR'))
    .option('--json', 'print a machine-readable report on stdout')
    .option('--verbose', 'debug logs and stack traces')
    .addOption(
      new Option(
        '--log-format <format>',
        'logs on stderr: pretty (default on a terminal) or json (default otherwise)',
      )
        .choices(['json', 'pretty'])
        .env('DATIVO_LOG_FORMAT'),
    )
    .option('-q, --quiet', 'only warnings and errors: no info logs, no progress, no summary of a clean run');
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
