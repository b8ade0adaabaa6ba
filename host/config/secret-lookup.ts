/** The secret view config loading reads through; defined with the managers (secrets/ is below config/). */
export { type SecretLookup, staticSecrets } from '../secrets/secret-lookup.js';
