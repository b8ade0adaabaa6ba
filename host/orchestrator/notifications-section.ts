/**
 * The `notifications:` section of a runner config:
 *
 *   notifications:
 *     stale_after_intervals: 3          # a schedule with no success for 3 x its interval is stale
 *     secret_scope: orchestrator        # where *_secret names are looked up (default: api's scope)
 *     webhooks:
 *       - url_secret: ops_webhook_url   # the URL is a secret (Slack/Teams URLs carry their key)
 *         events: [failed, stale]
 *       - url: https://hooks.internal/dativo
 *         token_secret: hooks_token     # sent as Authorization: Bearer
 *         events: [failed, succeeded]
 *
 * URLs and tokens named by `*_secret` come from the secret manager and are registered with the
 * masker, so they never reach a log line or an error. A plain `url` must not carry credentials
 * (user:password@ or a query string): those belong in `url_secret`.
 */
import { z } from 'zod';
import { DativoError, type Location } from '../errors.js';
import { createSecretLookup, createSecretManager } from '../secrets/index.js';
import { masker } from '../secrets/masker.js';

export const NOTIFICATION_EVENTS = ['failed', 'succeeded', 'stale'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const str = z.string().min(1);

export const notificationsSchema = z.strictObject({
  stale_after_intervals: z.number().min(1).optional(),
  secret_scope: str.optional(),
  attempts: z.number().int().min(1).max(10).optional(),
  webhooks: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/ }).optional(),
        url_secret: str.optional(),
        token_secret: str.optional(),
        events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional(),
      }),
    )
    .min(1),
});

export type NotificationsFile = z.output<typeof notificationsSchema>;

/** A webhook as configured, secrets still by name. */
export interface WebhookDef {
  /** `notifications.webhooks[i]`, for messages (never the URL). */
  label: string;
  url?: string;
  urlSecret?: string;
  tokenSecret?: string;
  events: NotificationEvent[];
  location?: Location;
}

export interface NotificationsSection {
  staleAfterIntervals: number;
  secretScope?: string;
  attempts?: number;
  webhooks: WebhookDef[];
}

/** A webhook ready to post to: secrets resolved (and registered with the masker). */
export interface WebhookTarget {
  label: string;
  url: string;
  token?: string;
  events: ReadonlySet<NotificationEvent>;
}

export const DEFAULT_STALE_AFTER_INTERVALS = 3;

/** Check the parsed section for what the schema cannot say; problems carry their position. */
export function notificationsSection(
  parsed: NotificationsFile,
  locate: (path: (string | number)[]) => Location | undefined,
  errors: DativoError[],
): NotificationsSection {
  const webhooks = parsed.webhooks.map((w, i): WebhookDef => {
    const label = `notifications.webhooks[${i}]`;
    const location = locate(['notifications', 'webhooks', i]);
    if ((w.url === undefined) === (w.url_secret === undefined)) {
      errors.push(
        new DativoError('CONFIG_INVALID', `${label} needs exactly one of "url" or "url_secret"`, {
          ...(location ? { location } : {}),
        }),
      );
    } else if (w.url && hasCredentials(w.url)) {
      const at = locate(['notifications', 'webhooks', i, 'url']);
      errors.push(
        new DativoError(
          'CONFIG_INVALID',
          `${label}.url carries credentials (user info or a query string): name a secret with url_secret instead`,
          { ...(at ? { location: at } : {}) },
        ),
      );
    }
    return {
      label,
      ...(w.url ? { url: w.url } : {}),
      ...(w.url_secret ? { urlSecret: w.url_secret } : {}),
      ...(w.token_secret ? { tokenSecret: w.token_secret } : {}),
      events: w.events ?? ['failed', 'stale'],
      ...(location ? { location } : {}),
    };
  });
  return {
    staleAfterIntervals: parsed.stale_after_intervals ?? DEFAULT_STALE_AFTER_INTERVALS,
    ...(parsed.secret_scope ? { secretScope: parsed.secret_scope } : {}),
    ...(parsed.attempts ? { attempts: parsed.attempts } : {}),
    webhooks,
  };
}

function hasCredentials(url: string): boolean {
  const u = new URL(url);
  return u.username !== '' || u.password !== '' || u.search !== '';
}

export interface SecretSource {
  secretManager?: string | undefined;
  secretsDir?: string | undefined;
  secretManagerConfig?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolve every webhook's secrets; a missing secret fails `start` (naming the secret and where it
 * is referenced, never a value), because a deployment whose alerts go nowhere should not run.
 */
export async function resolveWebhooks(
  section: NotificationsSection,
  defaultScope: string,
  src: SecretSource,
): Promise<WebhookTarget[]> {
  const needsSecrets = section.webhooks.some((w) => w.urlSecret || w.tokenSecret);
  const scope = section.secretScope ?? defaultScope;
  let lookup: ReturnType<typeof createSecretLookup> | undefined;
  if (needsSecrets) {
    const manager = createSecretManager(src.secretManager, {
      secretsDir: src.secretsDir,
      config: src.secretManagerConfig,
      env: src.env ?? process.env,
    });
    lookup = createSecretLookup(await manager.load(scope));
  }
  const secret = (name: string, w: WebhookDef): string => {
    const value = lookup?.get(name)?.trim();
    if (!value) {
      throw new DativoError(
        'SECRET_NOT_FOUND',
        `the secret "${name}" of ${w.label} was not found in scope "${scope}"`,
        w.location ? { location: w.location } : {},
      );
    }
    masker.register(value);
    return value;
  };
  return section.webhooks.map((w) => {
    const url = w.urlSecret ? secret(w.urlSecret, w) : (w.url as string);
    const token = w.tokenSecret ? secret(w.tokenSecret, w) : undefined;
    return { label: w.label, url, ...(token ? { token } : {}), events: new Set(w.events) };
  });
}
