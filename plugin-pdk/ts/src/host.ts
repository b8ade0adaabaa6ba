/**
 * The `dativo:plugin/host` interface with TypeScript types: configuration, secrets, logging,
 * incremental state, HTTP (checked by the host against the grant), a writer's outputs and a
 * reader's granted input files. Everything here is checked by the host; a denied call throws.
 */
import * as host from 'dativo:plugin/host@1.1.0';
import { asPluginError } from './errors.js';

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asPluginError(e);
  }
}

let cachedConfig: unknown;

/**
 * The plugin's configuration from the job (JSON, validated by the host against config_schema).
 * It is fixed for the instance's life, so it crosses the boundary and is parsed once; every call
 * returns that same object (treat it as read-only).
 */
export function config<T = Record<string, unknown>>(): T {
  cachedConfig ??= JSON.parse(host.config());
  return cachedConfig as T;
}

/** A secret the manifest requests and the job allows; anything else throws PLUGIN_DENIED. */
export function secret(name: string): string {
  return call(() => host.secretGet(name));
}

export const log = {
  debug: (message: string) => host.log('debug', message),
  info: (message: string) => host.log('info', message),
  warn: (message: string) => host.log('warn', message),
  error: (message: string) => host.log('error', message),
};

/** Incremental state: committed by the host together with the data the run wrote. */
export const state = {
  get: (key: string): string | undefined => call(() => host.stateGet(key)),
  set: (key: string, value: string): void => call(() => host.stateSet(key, value)),
};

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  text(): string;
  json<T = unknown>(): T;
}

/** One request through the host (granted host:port and methods only; size and time capped). */
export function request(req: HttpRequest): HttpResponse {
  const body = typeof req.body === 'string' ? new TextEncoder().encode(req.body) : req.body;
  const r = call(() =>
    host.httpRequest(
      { method: req.method ?? 'GET', url: req.url, headers: Object.entries(req.headers ?? {}) },
      body,
    ),
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of r.headers) headers[k.toLowerCase()] = v;
  const text = () => new TextDecoder().decode(r.body);
  return { status: r.status, headers, body: r.body, text, json: <T>() => JSON.parse(text()) as T };
}

/** A writer's named output: appended, staged by the host, published by its commit. */
export function writeOutput(name: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  call(() => host.outputWrite(name, data));
}

export const inputs = {
  list: (): { name: string; size: number }[] =>
    host.inputList().map((f) => ({ name: f.name, size: Number(f.size) })),
  read: (name: string, offset: number, len: number): Uint8Array =>
    call(() => host.inputRead(name, BigInt(offset), len)),
};
