import { Command, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { startCommand } from '../../../host/cli/commands/start.js';
import { workerCommand } from '../../../host/cli/commands/worker.js';
import { parseDeploymentMode, withSecretOptions } from '../../../host/cli/options.js';
import { startMetricsServer } from '../../../host/orchestrator/worker-http.js';

const defaultOf = (cmd: Command, flag: string): unknown =>
  cmd.options.find((o) => o.long === flag)?.defaultValue;

describe('local defaults', () => {
  it('are relative to the working directory; containers set absolute ones through the environment', () => {
    expect(defaultOf(withSecretOptions(new Command('x')), '--secrets-dir')).toBe('secrets');
    expect(
      defaultOf(
        startCommand(() => {}),
        '--runner-config',
      ),
    ).toBe('configs/runner.yaml');
    expect(workerCommand(() => {}).options.find((o) => o.long === '--metrics-host')?.envVar).toBe(
      'DATIVO_METRICS_HOST',
    );
  });

  it('--mode oneshot explains that oneshot is start’s argument and what --mode means', () => {
    expect(parseDeploymentMode('cloud')).toBe('cloud');
    expect(() => parseDeploymentMode('oneshot')).toThrow(InvalidArgumentError);
    expect(() => parseDeploymentMode('oneshot')).toThrow(
      /run mode, given without a flag: dativo start oneshot --runner-config FILE.*self_hosted \(default\) or cloud/,
    );
    expect(() => parseDeploymentMode('prod')).toThrow('Allowed choices are self_hosted, cloud.');
  });
});

describe('worker metrics', () => {
  it('bind 127.0.0.1 unless told otherwise', async () => {
    expect(
      defaultOf(
        workerCommand(() => {}),
        '--metrics-host',
      ),
    ).toBe('127.0.0.1');
    const server = await startMetricsServer(0);
    try {
      expect(server.address).toBe('127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
