/** Engines this build can run (architecture §7 picks one per job); no engine code is loaded here. */
export const ENGINES: ReadonlySet<string> = new Set<string>(['airbyte', 'singer', 'meltano']);
