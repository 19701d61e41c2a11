import type { MemoryGrammar } from './tree-sitter-wasm.js';
import { languageAddress } from './tree-sitter-wasm.js';

/**
 * Byte offsets of the `TSLanguage` fields read here, in the wasm32 build (`lib/src/parser.h`
 * of the pinned tree-sitter; the same for grammars of ABI 14 and 15).
 */
const LANGUAGE = {
  symbolCount: 4,
  aliasCount: 8,
  productionIdCount: 28,
  fieldCount: 32,
  maxAliasSequenceLength: 36,
  fieldMapSlices: 64,
  fieldMapEntries: 68,
  publicSymbolMap: 76,
  aliasSequences: 84,
} as const;

/**
 * The parts of a grammar's static tables a tree walk needs to see nodes as tree-sitter's
 * TreeCursor does: which symbol a child is shown as (aliases, public symbols) and under which
 * field its parent holds it. Copied out of WASM memory once per grammar.
 */
export class GrammarTables {
  private readonly aliasSequences: Uint16Array;
  private readonly maxAliasSequenceLength: number;
  private readonly publicSymbols: Uint16Array;
  /** Symbols (aliases included) are below this, ERROR's 0xFFFF apart. */
  readonly symbolCount: number;
  /** Field ids run from 1 to this. */
  readonly fieldCount: number;
  /** Field id per (production, structural child index); 0 for none. */
  private readonly fields: Uint16Array;
  private readonly fieldStride: number;

  constructor(grammar: MemoryGrammar) {
    const address = languageAddress(grammar.language);
    const u32 = (offset: number) => new Uint32Array(grammar.memory.buffer, address + offset, 1)[0];
    const u16Table = (pointerOffset: number, length: number) =>
      new Uint16Array(grammar.memory.buffer, u32(pointerOffset), length).slice();
    const productions = u32(LANGUAGE.productionIdCount);
    this.maxAliasSequenceLength = new Uint16Array(grammar.memory.buffer, address + LANGUAGE.maxAliasSequenceLength, 1)[0];
    this.aliasSequences = u16Table(LANGUAGE.aliasSequences, productions * this.maxAliasSequenceLength);
    this.symbolCount = u32(LANGUAGE.symbolCount) + u32(LANGUAGE.aliasCount);
    this.fieldCount = u32(LANGUAGE.fieldCount);
    this.publicSymbols = u16Table(LANGUAGE.publicSymbolMap, this.symbolCount);

    // TSMapSlice {u16 index, u16 length} per production; TSFieldMapEntry {u16 field, u8 child, bool inherited}.
    const slices = this.fieldCount === 0 ? new Uint16Array(productions * 2) : u16Table(LANGUAGE.fieldMapSlices, productions * 2);
    let entryCount = 0;
    for (let production = 0; production < productions; production++) {
      entryCount = Math.max(entryCount, slices[2 * production] + slices[2 * production + 1]);
    }
    const entries = new Uint8Array(grammar.memory.buffer, entryCount ? u32(LANGUAGE.fieldMapEntries) : 0, entryCount * 4).slice();
    let stride = 1;
    for (let entry = 0; entry < entryCount; entry++) stride = Math.max(stride, entries[4 * entry + 2] + 1);
    this.fieldStride = stride;
    this.fields = new Uint16Array(productions * stride);
    for (let production = 0; production < productions; production++) {
      const first = slices[2 * production];
      // Backwards, so that the first entry for a child wins, as in the cursor's search.
      for (let entry = first + slices[2 * production + 1] - 1; entry >= first; entry--) {
        const inherited = entries[4 * entry + 3] !== 0;
        if (!inherited) this.fields[production * stride + entries[4 * entry + 2]] = entries[4 * entry] | (entries[4 * entry + 1] << 8);
      }
    }
  }

  /** `ts_language_alias_at`: the symbol the child at `structuralIndex` is shown as, or 0. */
  aliasAt(production: number, structuralIndex: number): number {
    return production === 0 ? 0 : (this.aliasSequences[production * this.maxAliasSequenceLength + structuralIndex] ?? 0);
  }

  /** The non-inherited field the parent's production gives the child at `structuralIndex`, or 0. */
  fieldAt(production: number, structuralIndex: number): number {
    return structuralIndex < this.fieldStride ? this.fields[production * this.fieldStride + structuralIndex] : 0;
  }

  /** `ts_language_public_symbol` */
  publicSymbol(symbol: number): number {
    return symbol === ERROR_SYMBOL ? symbol : this.publicSymbols[symbol];
  }
}

/** `ts_builtin_sym_error` */
export const ERROR_SYMBOL = 0xffff;
