import { describe, expect, it } from 'vitest';
import {
  ABI_VERSIONS,
  type AbiVersion,
  checkAbiSupport,
  newestAbi,
} from '../../../host/plugins/abi-support.js';

/** A table with a deprecated and a dropped version, to show the machinery (no real one is deprecated yet). */
const TEST_TABLE: AbiVersion[] = [
  { version: '1.0', status: 'deprecated', migration: 'docs/plugin-abi.md#from-10-to-11' },
  { version: '1.1', status: 'supported' },
  { version: '2.0', status: 'supported' },
];

describe('ABI support table', () => {
  it('runs 1.0 and 1.1 today, with no warning', () => {
    expect(ABI_VERSIONS.map((v) => v.version)).toEqual(['1.0', '1.1']);
    expect(checkAbiSupport('1.0', 'p').warning).toBeUndefined();
    expect(checkAbiSupport('1.1', 'p').warning).toBeUndefined();
    expect(newestAbi()).toBe('1.1');
  });

  it('loads a deprecated version with a warning that links its migration note', () => {
    const v = checkAbiSupport('1.0', 'old-reader', TEST_TABLE);
    expect(v.warning).toBe(
      "plugin old-reader uses ABI 1.0, which is deprecated (this host's ABI is 2.0); see docs/plugin-abi.md#from-10-to-11",
    );
  });

  it('refuses an older unsupported and a newer version, naming both versions', () => {
    expect(() => checkAbiSupport('0.9', 'p', TEST_TABLE)).toThrow(
      'plugin p: ABI 0.9 is no longer supported by this host (ABI 2.0): rebuild the plugin against the current PDK (this host runs ABI 1.0, 1.1, 2.0)',
    );
    expect(() => checkAbiSupport('3.1', 'p')).toThrow(
      "plugin p: ABI 3.1 is newer than this host's ABI 1.1: upgrade Dativo",
    );
    expect(() => checkAbiSupport('one', 'p')).toThrow('"one" is not an ABI version');
  });
});
