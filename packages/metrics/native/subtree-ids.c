// Subtree ids from the native parser's node records: the same rules as src/syntax.ts (read that
// for why they are what they are), in C, where they cost a fraction of what they cost in
// TypeScript. A subtree is the sequence of its label's code and its items' (id, field) pairs,
// interned bottom-up, so two subtrees get the same id exactly when their S-expressions are
// equal; an anonymous node with children passes its items up to its parent and is itself the
// text tree-sitter prints for it (`(not in("not")("in")`, never closed), interned as a string.
// Labels are keyed by (kind, symbol, character) and fields by id: equal keys exactly when the
// label and field names are equal (a symbol stands for the first symbol of the same name).
// test/native.cases.ts compares the S-expressions of every collected subtree with syntax.ts's.
#include "subtree-ids.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node-record.h"

// ---- Integer sequences to ids, 0, 1, 2, ... in order of first sight (an open-addressing hash
// table over sequences kept end to end, as src/sequence-interner.ts) ----

typedef struct {
  int32_t *values;
  size_t value_count, value_capacity;
  uint32_t *starts, *lengths, *hashes;
  uint32_t size, id_capacity;
  uint32_t *slots;  // id + 1 per slot (0: empty); a power of two, at least twice `size`
  uint32_t slot_count;
} SequenceTable;

static bool reserve(void **buffer, size_t *capacity, size_t needed, size_t item_bytes) {
  if (needed <= *capacity) return true;
  size_t grown = needed < 64 ? 64 : 2 * needed;
  void *moved = realloc(*buffer, grown * item_bytes);
  if (!moved) return false;
  *buffer = moved;
  *capacity = grown;
  return true;
}

static uint32_t hash_values(const int32_t *values, uint32_t length) {
  uint32_t hash = 0x9E3779B9u ^ length;
  for (uint32_t i = 0; i < length; i++) hash = ((hash << 5 | hash >> 27) ^ (uint32_t)values[i]) * 0x9E3779B1u;
  hash ^= hash >> 15;
  hash *= 0x85EBCA6Bu;
  return hash ^ (hash >> 13);
}

// Sequences are short (a label and a few items): a loop beats a call to memcmp.
static bool same_values(const int32_t *a, const int32_t *b, uint32_t length) {
  for (uint32_t i = 0; i < length; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

static bool resize_slots(SequenceTable *table, uint32_t slot_count) {
  uint32_t *slots = calloc(slot_count, sizeof *slots);
  if (!slots) return false;
  for (uint32_t id = 0; id < table->size; id++) {
    uint32_t slot = table->hashes[id] & (slot_count - 1);
    while (slots[slot]) slot = (slot + 1) & (slot_count - 1);
    slots[slot] = id + 1;
  }
  free(table->slots);
  table->slots = slots;
  table->slot_count = slot_count;
  return true;
}

// The id of `values` (not pointing into the table), or -1 when memory ran out.
static int32_t sequence_intern(SequenceTable *table, const int32_t *values, uint32_t length) {
  if (!table->slot_count && !resize_slots(table, 256)) return -1;
  uint32_t hash = hash_values(values, length), mask = table->slot_count - 1, slot = hash & mask;
  for (; table->slots[slot]; slot = (slot + 1) & mask) {
    uint32_t id = table->slots[slot] - 1;
    if (table->hashes[id] == hash && table->lengths[id] == length && same_values(table->values + table->starts[id], values, length)) {
      return (int32_t)id;
    }
  }
  size_t id_capacity = table->id_capacity, ids = table->size + 1;
  if (ids > id_capacity) {
    size_t capacity = id_capacity;
    if (!reserve((void **)&table->starts, &capacity, ids, sizeof *table->starts)) return -1;
    capacity = id_capacity;
    if (!reserve((void **)&table->lengths, &capacity, ids, sizeof *table->lengths)) return -1;
    capacity = id_capacity;
    if (!reserve((void **)&table->hashes, &capacity, ids, sizeof *table->hashes)) return -1;
    table->id_capacity = (uint32_t)capacity;
  }
  if (!reserve((void **)&table->values, &table->value_capacity, table->value_count + length, sizeof *table->values)) return -1;
  uint32_t id = table->size++;
  // A loop: gcc makes a memcpy of a few ints `rep movsb`, slow to start.
  int32_t *to = table->values + table->value_count;
  for (uint32_t i = 0; i < length; i++) to[i] = values[i];
  table->starts[id] = (uint32_t)table->value_count;
  table->lengths[id] = length;
  table->hashes[id] = hash;
  table->value_count += length;
  table->slots[slot] = id + 1;
  if (2 * table->size > table->slot_count && !resize_slots(table, 2 * table->slot_count)) return -1;
  return (int32_t)id;
}

static void sequence_clear(SequenceTable *table) {
  table->size = 0;
  table->value_count = 0;
  if (table->slots) memset(table->slots, 0, table->slot_count * sizeof *table->slots);
}

static void sequence_free(SequenceTable *table) {
  free(table->values);
  free(table->starts);
  free(table->lengths);
  free(table->hashes);
  free(table->slots);
}

// ---- The interner ----

// The symbol of ERROR nodes (tree-sitter's ts_builtin_sym_error), past the grammar's own.
#define ERROR_SYMBOL 0xFFFFu

// Label kinds, the first value of a label's key (kind, symbol, character).
enum { PLAIN, MISSING_NAMED, MISSING_ANONYMOUS, UNEXPECTED };

struct SubtreeIds {
  SequenceTable subtrees, labels, texts;
  const TSLanguage *language;
  uint16_t *first_of_name;  // per symbol: the first symbol of the same name
  bool *is_error;           // per symbol: named "ERROR"
  uint32_t symbol_count;
  uint32_t error_first;  // the first symbol named "ERROR", or ERROR's own 0xFFFF
  int32_t *plain_label;  // per symbol: the code of its plain label, -1 until interned
  // One tree's scratch: children lists, each node's id, the items anonymous nodes pass up.
  int32_t *first_child, *next_sibling, *last_child, *own, *passed_start, *passed_length;
  size_t node_capacity;
  int32_t *items, *sequence;
  size_t item_count, item_capacity, sequence_capacity;
  char *text;  // an S-expression being written
  size_t text_length, text_capacity;
  int32_t *text_values;  // the same as integers, for the text table
  size_t text_values_capacity;
};

// The per-node scratch arrays, which grow together (reserve_nodes).
enum { NODE_ARRAYS = 6 };
static void node_arrays(SubtreeIds *self, int32_t **arrays[NODE_ARRAYS]) {
  int32_t **all[NODE_ARRAYS] = {&self->first_child, &self->next_sibling, &self->last_child, &self->own, &self->passed_start, &self->passed_length};
  memcpy(arrays, all, sizeof all);
}

SubtreeIds *subtree_ids_new(void) {
  return calloc(1, sizeof(SubtreeIds));
}

void subtree_ids_clear(SubtreeIds *self) {
  sequence_clear(&self->subtrees);
  sequence_clear(&self->labels);
  sequence_clear(&self->texts);
  if (self->plain_label) memset(self->plain_label, 0xFF, self->symbol_count * sizeof *self->plain_label);
}

void subtree_ids_delete(SubtreeIds *self) {
  if (!self) return;
  sequence_free(&self->subtrees);
  sequence_free(&self->labels);
  sequence_free(&self->texts);
  free(self->first_of_name);
  free(self->is_error);
  free(self->plain_label);
  int32_t **arrays[NODE_ARRAYS];
  node_arrays(self, arrays);
  for (size_t i = 0; i < NODE_ARRAYS; i++) free(*arrays[i]);
  free(self->items);
  free(self->sequence);
  free(self->text);
  free(self->text_values);
  free(self);
}

// Symbol tables for `language` (the ids of another language's would mean other names: cleared).
static bool use_language(SubtreeIds *self, const TSLanguage *language) {
  if (self->language == language) return true;
  uint32_t count = ts_language_symbol_count(language);
  uint16_t *first_of_name = malloc(count * sizeof *first_of_name);
  bool *is_error = malloc(count * sizeof *is_error);
  int32_t *plain_label = malloc(count * sizeof *plain_label);
  if (!first_of_name || !is_error || !plain_label) {
    free(first_of_name);
    free(is_error);
    free(plain_label);
    return false;
  }
  for (uint32_t symbol = 0; symbol < count; symbol++) {
    const char *name = ts_language_symbol_name(language, (TSSymbol)symbol);
    first_of_name[symbol] = (uint16_t)symbol;
    for (uint32_t other = 0; other < symbol; other++) {
      if (!strcmp(ts_language_symbol_name(language, (TSSymbol)other), name)) {
        first_of_name[symbol] = (uint16_t)other;
        break;
      }
    }
    is_error[symbol] = !strcmp(name, "ERROR");
  }
  free(self->first_of_name);
  free(self->is_error);
  free(self->plain_label);
  self->first_of_name = first_of_name;
  self->is_error = is_error;
  self->plain_label = plain_label;
  self->symbol_count = count;
  self->error_first = ERROR_SYMBOL;
  for (uint32_t symbol = count; symbol-- > 0;) {
    if (is_error[symbol]) self->error_first = symbol;
  }
  self->language = language;
  subtree_ids_clear(self);
  return true;
}

// The first symbol named as `symbol` is (ERROR's 0xFFFF is past the grammar's own symbols).
static uint32_t first_of_name(const SubtreeIds *self, uint32_t symbol) {
  if (symbol < self->symbol_count) return self->first_of_name[symbol];
  return symbol == ERROR_SYMBOL ? self->error_first : symbol;
}

static bool named_error(const SubtreeIds *self, uint32_t symbol) {
  return symbol < self->symbol_count ? self->is_error[symbol] : symbol == ERROR_SYMBOL;
}

// The code point at `at` as JavaScript's codePointAt reads it (-1 past the end).
static int32_t code_point_at(const uint16_t *text, size_t length, size_t at) {
  if (at >= length) return -1;
  uint16_t unit = text[at];
  if (unit >= 0xD800 && unit <= 0xDBFF && at + 1 < length && text[at + 1] >= 0xDC00 && text[at + 1] <= 0xDFFF) {
    return 0x10000 + ((unit - 0xD800) << 10) + (text[at + 1] - 0xDC00);
  }
  return unit;
}

// The label code of a printed node (syntax.ts's labelOf), or -1 when memory ran out.
static int32_t label_code(SubtreeIds *self, const int32_t *record, bool has_children, const uint16_t *text, size_t length) {
  uint32_t symbol = (uint32_t)record[SYMBOL];
  int32_t kind = PLAIN;
  if (record[FLAGS] & MISSING) kind = record[FLAGS] & NAMED ? MISSING_NAMED : MISSING_ANONYMOUS;
  else if (!has_children && record[END] > record[START] && named_error(self, symbol)) kind = UNEXPECTED;
  // Most labels are a symbol's plain name: their codes are kept per symbol.
  bool cached = kind == PLAIN && symbol < self->symbol_count;
  if (cached && self->plain_label[symbol] >= 0) return self->plain_label[symbol];
  int32_t key[3] = {kind, (int32_t)first_of_name(self, symbol), 0};
  if (kind == UNEXPECTED) {
    key[1] = 0;
    key[2] = code_point_at(text, length, (size_t)record[START]);
  }
  int32_t code = sequence_intern(&self->labels, key, 3);
  if (cached) self->plain_label[symbol] = code;
  return code;
}

static inline bool push_item(SubtreeIds *self, size_t *length, int32_t id, int32_t field) {
  if (*length + 2 > self->sequence_capacity && !reserve((void **)&self->sequence, &self->sequence_capacity, *length + 2, sizeof *self->sequence)) return false;
  self->sequence[(*length)++] = id;
  self->sequence[(*length)++] = field;
  return true;
}

// Puts the items of `node` into `sequence` after its first slot (syntax.ts's gatherItems);
// returns the sequence's length, or 0 when memory ran out.
static size_t gather_items(SubtreeIds *self, const int32_t *records, int32_t node) {
  size_t length = 1;
  if (!reserve((void **)&self->sequence, &self->sequence_capacity, 1, sizeof *self->sequence)) return 0;
  for (int32_t child = self->first_child[node]; child >= 0; child = self->next_sibling[child]) {
    const int32_t *record = records + (size_t)child * NODE_FIELDS;
    if (record[FLAGS] & (NAMED | MISSING)) {
      if (!push_item(self, &length, self->own[child], record[FIELD])) return 0;
      continue;
    }
    int32_t start = self->passed_start[child], end = start + self->passed_length[child];
    for (int32_t item = start; item < end; item += 2) {
      int32_t field = self->items[item + 1];
      if (!push_item(self, &length, self->items[item], field ? field : record[FIELD])) return 0;
    }
  }
  return length;
}

static bool append(SubtreeIds *self, const char *text, size_t length) {
  if (!reserve((void **)&self->text, &self->text_capacity, self->text_length + length + 1, 1)) return false;
  memcpy(self->text + self->text_length, text, length);
  self->text_length += length;
  self->text[self->text_length] = 0;
  return true;
}

static bool append_string(SubtreeIds *self, const char *text) {
  return append(self, text, strlen(text));
}

// How tree-sitter prints the character an ERROR leaf starts with (syntax.ts's describeCharacter).
static bool append_character(SubtreeIds *self, int32_t code_point) {
  char buffer[16];
  switch (code_point) {
    case 0: return append_string(self, "'\\0'");
    case 10: return append_string(self, "'\\n'");
    case 9: return append_string(self, "'\\t'");
    case 13: return append_string(self, "'\\r'");
    default: break;
  }
  if (code_point >= 32 && code_point < 127) snprintf(buffer, sizeof buffer, "'%c'", (char)code_point);
  else snprintf(buffer, sizeof buffer, "%d", code_point);
  return append_string(self, buffer);
}

static bool append_label(SubtreeIds *self, int32_t label) {
  const int32_t *key = self->labels.values + self->labels.starts[label];
  const char *name = ts_language_symbol_name(self->language, (TSSymbol)key[1]);
  switch (key[0]) {
    case MISSING_NAMED: return append_string(self, "MISSING ") && append_string(self, name);
    case MISSING_ANONYMOUS: return append_string(self, "MISSING \"") && append_string(self, name) && append_string(self, "\"");
    case UNEXPECTED: return append_string(self, "UNEXPECTED ") && append_character(self, key[2]);
    default: return append_string(self, name);
  }
}

// Appends the S-expression of `id` (syntax.ts's SubtreeInterner.sexp).
static bool append_sexp(SubtreeIds *self, int32_t id) {
  const int32_t *sequence = self->subtrees.values + self->subtrees.starts[id];
  uint32_t length = self->subtrees.lengths[id];
  if (sequence[0] % 2 == 1) {
    int32_t text = (sequence[0] - 1) / 2;
    const int32_t *bytes = self->texts.values + self->texts.starts[text];
    for (uint32_t i = 0; i < self->texts.lengths[text]; i++) {
      char byte = (char)bytes[i];
      if (!append(self, &byte, 1)) return false;
    }
    return true;
  }
  if (!append_string(self, "(") || !append_label(self, sequence[0] / 2)) return false;
  for (uint32_t item = 1; item < length; item += 2) {
    if (!append_string(self, " ")) return false;
    int32_t field = sequence[item + 1];
    if (field && !(append_string(self, ts_language_field_name_for_id(self->language, (TSFieldId)field)) && append_string(self, ": "))) return false;
    if (!append_sexp(self, sequence[item])) return false;
  }
  return append_string(self, ")");
}

// The id of an anonymous node with children: the text tree-sitter prints for it (syntax.ts's
// anonymousRootText), interned as one odd code. -1 when memory ran out.
static int32_t anonymous_root_id(SubtreeIds *self, const int32_t *records, int32_t node) {
  self->text_length = 0;
  if (!append_string(self, "(") || !append_string(self, ts_language_symbol_name(self->language, (TSSymbol)records[(size_t)node * NODE_FIELDS + SYMBOL]))) return -1;
  for (int32_t child = self->first_child[node]; child >= 0; child = self->next_sibling[child]) {
    bool ok = self->own[child] >= 0 ? append_sexp(self, self->own[child])
                                    : append_string(self, "(\"") && append_string(self, ts_language_symbol_name(self->language, (TSSymbol)records[(size_t)child * NODE_FIELDS + SYMBOL])) && append_string(self, "\")");
    if (!ok) return -1;
  }
  if (!reserve((void **)&self->text_values, &self->text_values_capacity, self->text_length, sizeof *self->text_values)) return -1;
  for (size_t i = 0; i < self->text_length; i++) self->text_values[i] = (unsigned char)self->text[i];
  int32_t text = sequence_intern(&self->texts, self->text_values, (uint32_t)self->text_length);
  if (text < 0) return -1;
  int32_t head = 2 * text + 1;
  return sequence_intern(&self->subtrees, &head, 1);
}

static bool reserve_nodes(SubtreeIds *self, size_t count) {
  if (count <= self->node_capacity) return true;
  size_t capacity = 2 * count;
  int32_t **arrays[NODE_ARRAYS];
  node_arrays(self, arrays);
  for (size_t i = 0; i < NODE_ARRAYS; i++) {
    int32_t *moved = realloc(*arrays[i], capacity * sizeof **arrays[i]);
    if (!moved) return false;
    *arrays[i] = moved;
  }
  self->node_capacity = capacity;
  return true;
}

int64_t subtree_ids_collect(SubtreeIds *self, const TSLanguage *language, const int32_t *records, size_t count,
                            const uint16_t *text, size_t length, int32_t *collected) {
  if (!use_language(self, language) || !reserve_nodes(self, count)) return -1;
  for (size_t node = 0; node < count; node++) self->first_child[node] = self->last_child[node] = self->next_sibling[node] = -1;
  // Records are in pre-order: each parent's children come in order.
  for (size_t node = 1; node < count; node++) {
    int32_t parent = records[node * NODE_FIELDS + PARENT];
    if (parent < 0) continue;
    if (self->last_child[parent] < 0) self->first_child[parent] = (int32_t)node;
    else self->next_sibling[self->last_child[parent]] = (int32_t)node;
    self->last_child[parent] = (int32_t)node;
  }
  self->item_count = 0;
  size_t collected_count = 0;
  // Children before parents: from the last node to the first.
  for (int32_t node = (int32_t)count - 1; node >= 0; node--) {
    const int32_t *record = records + (size_t)node * NODE_FIELDS;
    bool has_children = self->first_child[node] >= 0;
    self->own[node] = -1;
    self->passed_length[node] = 0;
    self->passed_start[node] = 0;
    if (record[FLAGS] & (NAMED | MISSING)) {
      size_t sequence_length = gather_items(self, records, node);
      int32_t label = sequence_length ? label_code(self, record, has_children, text, length) : -1;
      if (label < 0) return -1;
      self->sequence[0] = 2 * label;
      if ((self->own[node] = sequence_intern(&self->subtrees, self->sequence, (uint32_t)sequence_length)) < 0) return -1;
    } else if (has_children || node == 0) {
      size_t sequence_length = gather_items(self, records, node);
      if (!sequence_length) return -1;
      // Kept for the parent, which gathers them in place of this node.
      size_t items = sequence_length - 1;
      if (!reserve((void **)&self->items, &self->item_capacity, self->item_count + items, sizeof *self->items)) return -1;
      memcpy(self->items + self->item_count, self->sequence + 1, items * sizeof *self->items);
      self->passed_start[node] = (int32_t)self->item_count;
      self->passed_length[node] = (int32_t)items;
      self->item_count += items;
      if ((self->own[node] = anonymous_root_id(self, records, node)) < 0) return -1;
    }
    if (has_children || node == 0) collected[collected_count++] = self->own[node];
  }
  // Collected from the last node to the first; listed in pre-order, as the reference lists them.
  for (size_t i = 0, j = collected_count; i + 1 < j; i++, j--) {
    int32_t swap = collected[i];
    collected[i] = collected[j - 1];
    collected[j - 1] = swap;
  }
  return (int64_t)collected_count;
}

char *subtree_ids_text(SubtreeIds *self, int32_t id) {
  if (id < 0 || (uint32_t)id >= self->subtrees.size) return NULL;
  self->text_length = 0;
  if (!append_string(self, "") || !append_sexp(self, id)) return NULL;
  char *copy = malloc(self->text_length + 1);
  if (copy) memcpy(copy, self->text, self->text_length + 1);
  return copy;
}
