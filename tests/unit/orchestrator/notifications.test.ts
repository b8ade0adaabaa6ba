/**
 * The `notifications:` section (positions of its errors, defaults, secrets by reference) and the
 * stale watch on a manual clock: one event per episode, a success ends it, disabled schedules are
 * not watched.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type DativoError, DativoErrors, formatLocation } from '../../../host/errors.js';
import { createManualClock } from '../../../host/orchestrator/clock.js';
import { resolveWebhooks } from '../../../host/orchestrator/notifications-section.js';
import { loadRunnerConfig } from '../../../host/orchestrator/runner-config.js';
import type { SchedulerEvent } from '../../../host/orchestrator/scheduler.js';
import { intervalSecondsOf, watchStaleness } from '../../../host/orchestrator/stale-watch.js';
import { masker } from '../../../host/secrets/masker.js';
import type { JobStaleEvent } from '../../../host/store/notify.js';
import { scheduleDef } from './fakes.js';

const JOB = fileURLToPath(new URL('../../fixtures/jobs/orders.yaml', import.meta.url));

async function runner(notifications: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-notif-'));
  const file = path.join(dir, 'runner.yaml');
  await writeFile(
    file,
    [
      'orchestrator:',
      '  schedules:',
      `    - { name: orders, config: ${JOB}, interval_seconds: 60 }`,
      'notifications:',
      ...notifications,
    ].join('\n'),
  );
  return file;
}

async function errorsOf(file: string): Promise<string[]> {
  try {
    await loadRunnerConfig(file);
  } catch (err) {
    const all = err instanceof DativoErrors ? err.errors : [err as DativoError];
    return all.map(
      (e) => `${formatLocation(e.location)?.replace(/^.*runner\.yaml/, 'runner.yaml')} ${e.message}`,
    );
  }
  throw new Error('expected the runner config to fail');
}

describe('notifications section', () => {
  it('reads webhooks with their defaults', async () => {
    const cfg = await loadRunnerConfig(
      await runner([
        '  webhooks:',
        '    - url_secret: ops_url',
        '    - { url: "https://hooks.example.com/dativo", events: [succeeded], token_secret: t }',
      ]),
    );
    expect(cfg.notifications?.staleAfterIntervals).toBe(3);
    expect(cfg.notifications?.webhooks).toMatchObject([
      { label: 'notifications.webhooks[0]', urlSecret: 'ops_url', events: ['failed', 'stale'] },
      { url: 'https://hooks.example.com/dativo', tokenSecret: 't', events: ['succeeded'] },
    ]);
  });

  it('names each problem with its line: both or neither url, credentials in a url', async () => {
    const errors = await errorsOf(
      await runner([
        '  webhooks:', // 5
        '    - { url: "https://h.example.com/x", url_secret: s }', // 6
        '    - { events: [failed] }', // 7
        '    - { url: "https://user:pw@h.example.com/x?key=1" }', // 8
      ]),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^runner\.yaml:6:\d+.* notifications\.webhooks\[0\] needs exactly one of "url" or "url_secret"/,
      ),
      expect.stringMatching(/^runner\.yaml:7:\d+.* notifications\.webhooks\[1\] needs exactly one/),
      expect.stringMatching(/^runner\.yaml:8:\d+.* notifications\.webhooks\[2\]\.url carries credentials/),
    ]);
    expect(errors.join('\n')).not.toContain('pw@');
  });

  it('an unknown event is refused with its position and the known ones', async () => {
    const errors = await errorsOf(
      await runner(['  webhooks:', '    - { url_secret: s, events: [exploded] }']),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^runner\.yaml:6:\d+.*must be one of "failed", "succeeded", "stale", got "exploded"/,
      ),
    ]);
  });

  it('resolves secrets by name and registers them with the masker; a missing one is named, not shown', async () => {
    const cfg = await loadRunnerConfig(
      await runner(['  webhooks:', '    - { url_secret: ops_url, token_secret: ops_token }']),
    );
    const env = {
      DATIVO_SECRET__ORCHESTRATOR__OPS_URL: 'https://hooks.example.com/T0/B1/secretpart',
      DATIVO_SECRET__ORCHESTRATOR__OPS_TOKEN: 'tok-5521aa',
    };
    const [target] = await resolveWebhooks(cfg.notifications!, 'orchestrator', { env });
    expect(target).toMatchObject({ url: env.DATIVO_SECRET__ORCHESTRATOR__OPS_URL, token: 'tok-5521aa' });
    expect(masker.mask(`posting to ${env.DATIVO_SECRET__ORCHESTRATOR__OPS_URL}`)).toBe('posting to ***');
    await expect(
      resolveWebhooks(cfg.notifications!, 'orchestrator', {
        env: { DATIVO_SECRET__ORCHESTRATOR__OPS_URL: 'x-url-1' },
      }),
    ).rejects.toThrow(
      /the secret "ops_token" of notifications\.webhooks\[0\] was not found in scope "orchestrator"/,
    );
  });
});

describe('stale watch', () => {
  it('a cron schedule’s interval is the gap between its next two fires', () => {
    expect(intervalSecondsOf(scheduleDef('h', { cron: '0 * * * *' }), Date.UTC(2026, 0, 1, 10, 30))).toBe(
      3600,
    );
    expect(intervalSecondsOf(scheduleDef('i', { intervalSeconds: 90 }), 0)).toBe(90);
  });

  it('one event per episode; a success ends it; disabled schedules are not watched', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const listeners: ((e: SchedulerEvent) => void)[] = [];
    const events: JobStaleEvent[] = [];
    const stop = watchStaleness({
      scheduler: {
        on: (l) => {
          listeners.push(l);
          return () => {};
        },
        schedules: () => [],
      },
      schedules: [
        scheduleDef('often', { intervalSeconds: 10 }),
        scheduleDef('off', { intervalSeconds: 10, enabled: false }),
      ],
      staleAfterIntervals: 3,
      clock,
      onStale: (e) => events.push(e),
    });
    await clock.advance(29_000);
    expect(events).toHaveLength(0);
    await clock.advance(2_000);
    await clock.advance(60_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ schedule: 'often', intervalSeconds: 10, staleAfterSeconds: 30 });

    const success = {
      type: 'run_finished',
      run: { schedule: 'often', state: 'succeeded' },
    } as SchedulerEvent;
    for (const l of listeners) l(success);
    await clock.advance(29_000);
    expect(events).toHaveLength(1);
    await clock.advance(5_000);
    expect(events).toHaveLength(2);
    expect(events[1]?.lastSuccessAt).toBe(new Date(Date.UTC(2026, 0, 1) + 91_000).toISOString());
    expect(events[1]?.id).not.toBe(events[0]?.id);
    stop();
  });
});
