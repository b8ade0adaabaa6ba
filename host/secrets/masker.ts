/**
 * Every loaded secret and every value interpolated into a credential-like key is registered here;
 * logs, errors and reports pass through `mask()` before they leave the process.
 */

const MASK = '***';
/** Shorter values would mask ordinary words and numbers; such secrets are weak anyway. */
const MIN_SECRET_LENGTH = 4;

const CREDENTIAL_KEY =
  /(pass(word|wd)?|secret|token|credential|api[_-]?key|access[_-]?key|private[_-]?key|auth|dsn|^key$|_key$)/i;

/** Is this config key one whose value is a credential? (password, token, secret, key, credential...) */
export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key);
}

export class Masker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  register(value: unknown): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
    const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
    for (const f of forms) this.values.add(f);
    this.pattern = undefined;
  }

  /** Register every string leaf of an object (a secret bundle such as a JSON or .env secret). */
  registerAll(value: unknown): void {
    if (typeof value === 'string') this.register(value);
    else if (Array.isArray(value)) for (const v of value) this.registerAll(v);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) this.registerAll(v);
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, MASK);
  }

  get size(): number {
    return this.values.size;
  }
}

/** The process-wide masker: secrets must never leave the process, whichever component logs them. */
export const masker = new Masker();
