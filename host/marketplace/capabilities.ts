/**
 * What a plugin asks to be allowed, for the install prompt, and what an update asks for beyond
 * what was approved before (which needs a new confirmation).
 */
import type { PluginManifest } from '../plugins/manifest.js';

type Capabilities = PluginManifest['capabilities'];

/** One line per requested capability, in words a reviewer can approve. */
export function describeCapabilities(caps: Capabilities): string[] {
  const hosts = caps.network?.hosts ?? [];
  return [
    hosts.length > 0 ? `network: ${hosts.join(', ')}` : 'network: none',
    caps.secrets.length > 0 ? `secrets: ${caps.secrets.join(', ')}` : 'secrets: none',
    `files: ${caps.files ? "reads the job's source.files (read-only)" : 'none'}`,
    `limits: memory ${caps.memory_mb} MB, ${caps.timeout_ms} ms per call, output ${caps.output_mb} MB`,
    ...(caps.http ? [`http methods: ${caps.http.methods.join(', ')}`] : []),
  ];
}

/** Capabilities in `next` that `previous` did not have (empty: nothing new to approve). */
export function addedCapabilities(previous: Capabilities, next: Capabilities): string[] {
  const added: string[] = [];
  const had = new Set(previous.network?.hosts ?? []);
  for (const h of next.network?.hosts ?? []) if (!had.has(h)) added.push(`network host ${h}`);
  for (const s of next.secrets) if (!previous.secrets.includes(s)) added.push(`secret ${s}`);
  if (next.files && !previous.files) added.push("reading the job's source.files");
  if (next.memory_mb > previous.memory_mb) added.push(`memory ${previous.memory_mb} → ${next.memory_mb} MB`);
  if (next.timeout_ms > previous.timeout_ms)
    added.push(`time per call ${previous.timeout_ms} → ${next.timeout_ms} ms`);
  if (next.output_mb > previous.output_mb) added.push(`output ${previous.output_mb} → ${next.output_mb} MB`);
  const methods = new Set(previous.http?.methods ?? ['GET']);
  for (const m of next.http?.methods ?? []) if (!methods.has(m)) added.push(`HTTP ${m}`);
  return added;
}
