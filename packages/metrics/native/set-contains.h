// Included before a grammar's parser.c (gcc/clang -include) by scripts/build-native.mjs:
// replaces parser.h's set_contains, the test of a character against a lexer's character set.
// parser.h's binary-searches the set's ranges, which for an identifier set span most of Unicode
// (669 ranges in c_sharp's), in an out-of-line call a tenth of c_sharp's parse; code is mostly
// ASCII, and the sets' ASCII ranges come first. Same answers: the ranges are sorted and disjoint.
#pragma once
// The grammar's own header, its set_contains renamed out of the way; the include guard keeps
// parser.c's own include of it from doing anything.
#define set_contains grammar_set_contains
#include "tree_sitter/parser.h"
#undef set_contains

static inline bool ascii_first_set_contains(const TSCharacterRange *ranges, uint32_t len, int32_t lookahead) {
  if (lookahead < 128) {
    for (uint32_t i = 0; i < len && ranges[i].start <= lookahead; i++) {
      if (lookahead <= ranges[i].end) return true;
    }
    return false;
  }
  // The first range not wholly below the character holds it, if any does.
  uint32_t low = 0, high = len;
  while (low < high) {
    uint32_t middle = low + (high - low) / 2;
    if (ranges[middle].end < lookahead) low = middle + 1;
    else high = middle;
  }
  return low < len && ranges[low].start <= lookahead;
}

#define set_contains ascii_first_set_contains
