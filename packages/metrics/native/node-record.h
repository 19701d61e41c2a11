// One node's record as native/flat-tree.c writes them: public symbol (aliases applied), field id,
// flags, start, end (UTF-16 units), parent's index (-1 for the root). Mirrored by NODE in
// src/native-tree-reader.ts.
#pragma once

enum { SYMBOL, FIELD, FLAGS, START, END, PARENT, NODE_FIELDS };
enum { NAMED = 1, MISSING = 2 };
