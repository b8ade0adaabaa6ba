/**
 * The REST server's namespaces and their properties. Over a filesystem catalog they are kept in
 * the warehouse (`<ns...>/.namespace.json`), so a restarted server lists them again; a namespace
 * that holds tables is listed even without that file (tables written by `dativo run` or made
 * before this server). Over any other catalog they live in process memory.
 */

/**
 * The object-store calls the marker files need. Declared here (an ObjectStore satisfies it) so
 * the iceberg layer does not import the sinks' store module for one type.
 */
export interface MarkerStore {
  get(key: string): Promise<Uint8Array | undefined>;
  putBytes(key: string, data: Uint8Array): Promise<void>;
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

export interface NamespaceRegistry {
  /** Every namespace (all levels), with its properties. */
  all(): Promise<Map<string, { namespace: string[]; properties: Record<string, string> }>>;
  get(ns: string[]): Promise<Record<string, string> | undefined>;
  /** Creates or replaces the namespace's properties. */
  put(ns: string[], properties: Record<string, string>): Promise<void>;
  delete(ns: string[]): Promise<void>;
}

export const nsKey = (ns: readonly string[]) => ns.join('\u001f');

const MARKER = '.namespace.json';
const VERSION_FILE = /^v\d+\.metadata\.json$/;

export function memoryNamespaces(): NamespaceRegistry {
  const map = new Map<string, { namespace: string[]; properties: Record<string, string> }>();
  return {
    async all() {
      return new Map(map);
    },
    async get(ns) {
      return map.get(nsKey(ns))?.properties;
    },
    async put(ns, properties) {
      map.set(nsKey(ns), { namespace: [...ns], properties });
    },
    async delete(ns) {
      map.delete(nsKey(ns));
    },
  };
}

export function warehouseNamespaces(store: MarkerStore): NamespaceRegistry {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const markerKey = (ns: readonly string[]) => `${ns.join('/')}/${MARKER}`;
  const read = async (key: string): Promise<Record<string, string> | undefined> => {
    const bytes = await store.get(key);
    if (!bytes) return undefined;
    const parsed = JSON.parse(dec.decode(bytes)) as { properties?: Record<string, string> };
    return parsed.properties ?? {};
  };
  return {
    async all() {
      const out = new Map<string, { namespace: string[]; properties: Record<string, string> }>();
      for (const key of await store.list('')) {
        const parts = key.split('/');
        const file = parts[parts.length - 1] ?? '';
        if (file === MARKER) {
          const ns = parts.slice(0, -1);
          out.set(nsKey(ns), { namespace: ns, properties: (await read(key)) ?? {} });
        } else if (VERSION_FILE.test(file) && parts[parts.length - 2] === 'metadata' && parts.length >= 4) {
          // <ns...>/<table>/metadata/vN.metadata.json: every level of <ns...> is a namespace
          const ns = parts.slice(0, -3);
          for (let n = 1; n <= ns.length; n++) {
            const k = nsKey(ns.slice(0, n));
            if (!out.has(k)) out.set(k, { namespace: ns.slice(0, n), properties: {} });
          }
        }
      }
      return out;
    },
    async get(ns) {
      const props = await read(markerKey(ns));
      if (props) return props;
      return (await this.all()).get(nsKey(ns))?.properties;
    },
    async put(ns, properties) {
      await store.putBytes(markerKey(ns), enc.encode(`${JSON.stringify({ namespace: ns, properties })}\n`));
    },
    async delete(ns) {
      await store.delete(markerKey(ns));
    },
  };
}
