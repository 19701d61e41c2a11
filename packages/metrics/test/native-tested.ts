import { nativeParser } from '../src/native-tree-reader.js';

/**
 * Whether the native parser's tests run: where it is built (a C compiler was there at install),
 * and always in CI, which sets CODISTILL_REQUIRE_NATIVE=1 so that a missing build fails them
 * instead of skipping them.
 */
export const nativeTested = nativeParser() !== null || process.env.CODISTILL_REQUIRE_NATIVE === '1';
