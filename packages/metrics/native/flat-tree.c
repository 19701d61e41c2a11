// Parses text with a tree-sitter grammar and flattens the tree in one call: the nodes a
// TreeCursor visits, in pre-order, written to an Int32Array (see NODE_FIELDS). A cursor driven
// from JavaScript costs several crossings per node; here the whole walk is C, so reading a tree
// costs about as much as copying it. Built by scripts/build-native.mjs against tree-sitter's own
// runtime sources; grammars come as Node bindings' `language` External (their npm packages', or
// the ones scripts/build-native.mjs compiles from those packages' sources).
// collectSubtrees then interns the syntax match's subtrees from those records (subtree-ids.c).
#include <node_api.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <tree_sitter/api.h>
// The runtime's internals: TSLanguage (the struct grammars fill in) for dense_language, and the
// tree's subtrees for flatten.
#include "language.h"
#include "subtree.h"
#include "tree.h"

#include "language-tag.h"
#include "node-record.h"
#include "subtree-ids.h"


// This module's own tags for what newParser and newSubtreeIds return, so that the other
// functions take nothing else.
static const napi_type_tag PARSER_TYPE_TAG = {0x636F64697374696C, 0x6C2D666C61742D74};
static const napi_type_tag SUBTREE_IDS_TYPE_TAG = {0x636F64697374696C, 0x6C2D737562747265};

#define CHECK(call)                                        \
  do {                                                     \
    if ((call) != napi_ok) return throw_last_error(env);   \
  } while (0)

static napi_value throw_last_error(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "N-API call failed");
  return NULL;
}

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static bool get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  return argc == expected;
}

// The TSLanguage behind a grammar binding's `language` value, or NULL (with a TypeError thrown).
static const TSLanguage *language_of(napi_env env, napi_value value) {
  napi_valuetype type;
  bool tagged = false;
  void *language = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, &LANGUAGE_TYPE_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &language) != napi_ok) {
    throw_type_error(env, "expected a tree-sitter grammar's `language` (the External its Node binding exports)");
    return NULL;
  }
  return language;
}

// Grammars keep most parse states in a compressed "small" table that the runtime searches
// linearly for every lookup (a sixth of C#'s parse time). dense_language returns a copy of the
// grammar whose every state is in the directly indexed table, filled from the small one exactly
// as the runtime's lookup reads it: the parser reads the same action for every (state, symbol),
// so the trees are the same. Built once per grammar and kept for the process, like the grammar itself.
#define MAX_DENSE_LANGUAGES 64
static struct {
  const TSLanguage *original;
  TSLanguage *dense;
} dense_languages[MAX_DENSE_LANGUAGES];
static size_t dense_language_count;
// Worker threads share the copies (read-only once built).
static pthread_mutex_t dense_languages_lock = PTHREAD_MUTEX_INITIALIZER;

static const TSLanguage *build_dense_language(const TSLanguage *original);

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

// Zeroed memory for a dense table, on 2 MiB pages where the system gives them (Linux's
// transparent huge pages): the parser reads the table at random (one row per state it reaches),
// and over 4 KiB pages most of those reads also missed the TLB (c_sharp's table is 10 MB).
// Never freed, like the table. NULL if it fails.
static void *table_calloc(size_t bytes) {
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
  size_t pages = (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
  // One huge page more than needed, so that whole huge pages fit after aligning.
  char *memory = mmap(NULL, pages + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return NULL;
  char *aligned = (char *)(((uintptr_t)memory + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1));
  madvise(aligned, pages, MADV_HUGEPAGE);  // advice only: without it the table is on small pages
  return aligned;
#else
  return calloc(1, bytes);
#endif
}

static const TSLanguage *dense_language(const TSLanguage *original) {
  pthread_mutex_lock(&dense_languages_lock);
  const TSLanguage *dense = NULL;
  for (size_t i = 0; i < dense_language_count && !dense; i++) {
    if (dense_languages[i].original == original) dense = dense_languages[i].dense;
  }
  if (!dense) dense = build_dense_language(original);
  pthread_mutex_unlock(&dense_languages_lock);
  return dense;
}

// Builds and records the copy; the original where it cannot (it parses the same, only slower).
static const TSLanguage *build_dense_language(const TSLanguage *original) {
  if (dense_language_count == MAX_DENSE_LANGUAGES) return original;
  size_t large_cells = (size_t)original->large_state_count * original->symbol_count;
  size_t cells = (size_t)original->state_count * original->symbol_count;
  TSLanguage *dense = calloc(1, sizeof *dense);
  uint8_t *written = malloc(original->symbol_count);
  uint16_t *table = dense && written ? table_calloc(cells * sizeof *table) : NULL;
  if (!table) {
    free(dense);
    free(written);
    return original;
  }
  // Older ABIs end earlier (14 before `name`, 13 before `primary_state_ids`); the fields they lack
  // stay zero, and the runtime does not read them for those ABIs.
  size_t abi_bytes = original->abi_version >= LANGUAGE_VERSION_WITH_RESERVED_WORDS ? sizeof *dense
                     : original->abi_version >= LANGUAGE_VERSION_WITH_PRIMARY_STATES ? offsetof(TSLanguage, name)
                                                                                     : offsetof(TSLanguage, primary_state_ids);
  memcpy(dense, original, abi_bytes);
  if (large_cells) memcpy(table, original->parse_table, large_cells * sizeof *table);
  // The small table's groups, read as ts_language_lookup reads them: it returns the first group
  // holding a symbol, so a cell is written only by the first group that names it.
  for (uint32_t state = original->large_state_count; state < original->state_count; state++) {
    uint16_t *row = table + (size_t)state * original->symbol_count;
    memset(written, 0, original->symbol_count);
    const uint16_t *data = &original->small_parse_table[original->small_parse_table_map[state - original->large_state_count]];
    for (uint16_t groups = *data++; groups > 0; groups--) {
      uint16_t value = *data++, symbols = *data++;
      for (; symbols > 0; symbols--, data++) {
        if (written[*data]) continue;
        written[*data] = 1;
        row[*data] = value;
      }
    }
  }
  free(written);
  dense->parse_table = table;
  dense->large_state_count = original->state_count;
  dense_languages[dense_language_count].original = original;
  dense_languages[dense_language_count].dense = dense;
  dense_language_count++;
  return dense;
}

// One parse allocates thousands of small blocks and frees them all soon after; a bump arena
// serves them and is emptied as a whole when the tree has been read (malloc, free and the tree's
// release were about a tenth of the parse). The parser, its tree and everything else one parse
// allocates live in it, so nothing survives the reset. A parse that outgrows it continues on
// malloc, and only then is the tree freed block by block.
#define ARENA_BYTES ((size_t)64 << 20)
#define ARENA_ALIGN 16

typedef struct Frame Frame;

// What parse keeps between calls, one per Node environment (the main thread, each worker):
// buffers that grow with the largest text, and the arena.
typedef struct {
  uint16_t *text;
  size_t text_capacity;
  Frame *frames;
  size_t frames_capacity;
  char *arena;  // malloc'ed once; pages are only touched as far as the largest parse needed
  size_t arena_used;
  bool arena_overflowed;
} State;

// The state whose parse runs on this thread, whose arena serves tree-sitter's allocations; with
// none, they go to malloc.
static _Thread_local State *active;

static bool in_arena(const State *state, const void *block) {
  return state && state->arena && (const char *)block >= state->arena && (const char *)block < state->arena + ARENA_BYTES;
}

// Each block is preceded by its size (realloc copies that much).
static void *arena_malloc(size_t bytes) {
  State *state = active;
  size_t needed = ARENA_ALIGN + ((bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
  if (!state || !state->arena || needed > ARENA_BYTES - state->arena_used) {
    if (state) state->arena_overflowed = true;
    return malloc(bytes);
  }
  char *block = state->arena + state->arena_used + ARENA_ALIGN;
  ((size_t *)block)[-1] = bytes;
  state->arena_used += needed;
  return block;
}

static void *arena_calloc(size_t count, size_t size) {
  void *block = arena_malloc(count * size);
  if (block) memset(block, 0, count * size);
  return block;
}

static void arena_free(void *block) {
  if (!in_arena(active, block)) free(block);
}

static void *arena_realloc(void *block, size_t bytes) {
  if (!block) return arena_malloc(bytes);
  if (!in_arena(active, block)) return realloc(block, bytes);
  size_t old = ((size_t *)block)[-1];
  if (bytes <= old) return block;
  void *moved = arena_malloc(bytes);
  if (moved) memcpy(moved, block, old);
  return moved;
}

// newParser(language) -> External holding the grammar, ready for parse (which makes its
// TSParser in the arena each time).
static napi_value new_parser(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return throw_type_error(env, "newParser(language) takes one argument");
  const TSLanguage *language = language_of(env, argv[0]);
  if (!language) return NULL;
  uint32_t abi = ts_language_abi_version(language);
  if (abi < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION || abi > TREE_SITTER_LANGUAGE_VERSION) {
    char message[160];
    snprintf(message, sizeof message, "the grammar's ABI version %u is not one this tree-sitter runtime reads (%u-%u)", abi,
             TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, TREE_SITTER_LANGUAGE_VERSION);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  napi_value result;
  // No finalizer: the copy lives for the process, like the grammar it is made from.
  CHECK(napi_create_external(env, (void *)dense_language(language), NULL, NULL, &result));
  CHECK(napi_type_tag_object(env, result, &PARSER_TYPE_TAG));
  return result;
}

// Names of `count` ids, from `name_of` (NULL names become "").
static napi_value name_array(napi_env env, const TSLanguage *language, uint32_t first, uint32_t count,
                             const char *(*name_of)(const TSLanguage *, uint32_t)) {
  napi_value array;
  CHECK(napi_create_array_with_length(env, count, &array));
  for (uint32_t i = 0; i < count; i++) {
    const char *name = name_of(language, first + i);
    napi_value string;
    CHECK(napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &string));
    CHECK(napi_set_element(env, array, i, string));
  }
  return array;
}

static const char *symbol_name(const TSLanguage *language, uint32_t symbol) {
  return ts_language_symbol_name(language, (TSSymbol)symbol);
}

static const char *field_name(const TSLanguage *language, uint32_t field) {
  return ts_language_field_name_for_id(language, (TSFieldId)field);
}

// symbolNames(language) -> names indexed by symbol id (ERROR, 0xFFFF, is not among them).
static napi_value symbol_names(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return throw_type_error(env, "symbolNames(language) takes one argument");
  const TSLanguage *language = language_of(env, argv[0]);
  return language ? name_array(env, language, 0, ts_language_symbol_count(language), symbol_name) : NULL;
}

// fieldNames(language) -> names indexed by field id - 1 (id 0 is "no field").
static napi_value field_names(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return throw_type_error(env, "fieldNames(language) takes one argument");
  const TSLanguage *language = language_of(env, argv[0]);
  return language ? name_array(env, language, 1, ts_language_field_count(language), field_name) : NULL;
}

static bool reserve(void **buffer, size_t *capacity, size_t needed, size_t item_bytes) {
  if (needed <= *capacity) return true;
  size_t grown = needed * 2;
  void *moved = realloc(*buffer, grown * item_bytes);
  if (!moved) return false;
  *buffer = moved;
  *capacity = grown;
  return true;
}

// A node whose children the walk is going through: a visible node, or a hidden one whose
// children are spliced into its visible parent (as TreeCursor shows them).
struct Frame {
  const Subtree *child;      // the next child
  uint32_t children_left;
  const TSSymbol *aliases;   // the production's alias sequence, or NULL
  uint16_t production;
  uint32_t structural_index; // index among the non-extra children, which aliases and fields are keyed by
  uint32_t position;         // start of the next child, in bytes (its padding not yet added)
  bool at_first_child;       // the first child's padding is the parent's, already in `position`
  int32_t node;              // the visible node the children belong to
  TSFieldId inherited_field; // a hidden node's field, for its children that have none of their own
};

// TreeCursor's field for the child at `index` of `production`: the first entry naming it that
// is not inherited (an inherited one is the hidden child's own child's, found when it is walked).
static TSFieldId field_at(const TSLanguage *language, uint16_t production, uint32_t index) {
  const TSFieldMapEntry *entry, *end;
  ts_language_field_map(language, production, &entry, &end);
  for (; entry < end; entry++) {
    if (!entry->inherited && entry->child_index == index) return entry->field_id;
  }
  return 0;
}

typedef struct {
  State *state;
  const TSLanguage *language;
  int32_t *out;
  size_t capacity, count;
} Walk;

// Writes one shown node; `alias` is 0 or the symbol it is shown as.
static int32_t add_node(Walk *walk, Subtree subtree, TSSymbol alias, TSFieldId field, uint32_t position, int32_t parent) {
  int32_t id = (int32_t)walk->count++;
  if ((size_t)id >= walk->capacity) return id;
  int32_t *record = walk->out + (size_t)id * NODE_FIELDS;
  TSSymbol symbol = alias ? alias : ts_subtree_symbol(subtree);
  bool named = alias ? ts_language_symbol_metadata(walk->language, alias).named : ts_subtree_named(subtree);
  record[SYMBOL] = ts_language_public_symbol(walk->language, symbol);
  record[FIELD] = field;
  record[FLAGS] = (named ? NAMED : 0) | (ts_subtree_missing(subtree) ? MISSING : 0);
  // UTF-16 input: byte offsets are twice the code-unit offsets JavaScript strings use.
  record[START] = (int32_t)(position >> 1);
  record[END] = (int32_t)((position + ts_subtree_size(subtree).bytes) >> 1);
  record[PARENT] = parent;
  return id;
}

static bool push_frame(Walk *walk, size_t depth, Subtree subtree, uint32_t position, int32_t node, TSFieldId inherited_field) {
  State *state = walk->state;
  if (!reserve((void **)&state->frames, &state->frames_capacity, depth + 1, sizeof *state->frames)) return false;
  uint16_t production = subtree.ptr->production_id;
  state->frames[depth] = (Frame){
      .child = ts_subtree_children(subtree),
      .children_left = subtree.ptr->child_count,
      .aliases = ts_language_alias_sequence(walk->language, production),
      .production = production,
      .structural_index = 0,
      .position = position,
      .at_first_child = true,
      .node = node,
      .inherited_field = inherited_field,
  };
  return true;
}

// Writes the nodes TreeCursor visits, in its order, into `out` (as many as fit); returns how
// many there are. The walk reads the tree's subtrees directly, as TreeCursor does (hidden nodes
// spliced into their parents, aliases, fields found through hidden ancestors, extras without
// fields), without a cursor's per-node bookkeeping; test/tree.cases.ts holds it to the cursor.
static size_t flatten(State *state, const TSTree *tree, int32_t *out, size_t capacity, bool *out_of_memory) {
  Walk walk = {.state = state, .language = tree->language, .out = out, .capacity = capacity, .count = 0};
  Subtree root = tree->root;
  uint32_t root_position = ts_subtree_padding(root).bytes;
  int32_t root_id = add_node(&walk, root, 0, 0, root_position, -1);
  size_t depth = 0;
  if (ts_subtree_child_count(root) > 0) {
    if (!push_frame(&walk, 0, root, root_position, root_id, 0)) goto failed;
    depth = 1;
  }
  while (depth > 0) {
    Frame *frame = &state->frames[depth - 1];
    if (frame->children_left == 0) {
      depth--;
      continue;
    }
    Subtree child = *frame->child++;
    frame->children_left--;
    if (frame->at_first_child) frame->at_first_child = false;
    else frame->position += ts_subtree_padding(child).bytes;
    uint32_t position = frame->position;
    frame->position += ts_subtree_size(child).bytes;
    TSSymbol alias = 0;
    TSFieldId field = 0;
    if (!ts_subtree_extra(child)) {
      if (frame->aliases) alias = frame->aliases[frame->structural_index];
      field = field_at(walk.language, frame->production, frame->structural_index);
      if (!field) field = frame->inherited_field;
      frame->structural_index++;
    }
    bool has_children = ts_subtree_child_count(child) > 0;
    if (ts_subtree_visible(child) || alias) {
      int32_t id = add_node(&walk, child, alias, field, position, frame->node);
      if (has_children) {
        if (!push_frame(&walk, depth, child, position, id, 0)) goto failed;
        depth++;
      }
    } else if (has_children && ts_subtree_visible_child_count(child) > 0) {
      int32_t node = frame->node;
      if (!push_frame(&walk, depth, child, position, node, field)) goto failed;
      depth++;
    }
  }
  return walk.count;
failed:
  *out_of_memory = true;
  return walk.count;
}

// Copies a JavaScript string into state->text (UTF-16); false with an exception pending.
static bool read_text(napi_env env, State *state, napi_value value, size_t *length) {
  if (napi_get_value_string_utf16(env, value, NULL, 0, length) != napi_ok) return throw_last_error(env), false;
  if (!reserve((void **)&state->text, &state->text_capacity, *length + 1, sizeof *state->text)) {
    napi_throw_error(env, NULL, "out of memory for the source text");
    return false;
  }
  if (napi_get_value_string_utf16(env, value, (char16_t *)state->text, *length + 1, length) != napi_ok) return throw_last_error(env), false;
  return true;
}

// An Int32Array's data; false with a TypeError (`message`) pending for anything else.
static bool int32_array(napi_env env, napi_value value, const char *message, int32_t **data, size_t *elements) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, value, &type, elements, (void **)data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    throw_type_error(env, message);
    return false;
  }
  return true;
}

// The value of an External carrying `tag`; NULL with a TypeError (`message`) pending otherwise.
static void *tagged_external(napi_env env, napi_value value, const napi_type_tag *tag, const char *message) {
  bool tagged = false;
  void *data = NULL;
  if (napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged || napi_get_value_external(env, value, &data) != napi_ok) {
    throw_type_error(env, message);
    return NULL;
  }
  return data;
}

// parse(parser, source, out: Int32Array) -> number of nodes. When that exceeds
// out.length / NODE_FIELDS only the first ones were written: call again with a larger array.
static napi_value parse(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return throw_type_error(env, "parse(parser, source, out) takes three arguments");
  State *state;
  CHECK(napi_get_instance_data(env, (void **)&state));
  const TSLanguage *language = tagged_external(env, argv[0], &PARSER_TYPE_TAG, "parse: expected a parser from newParser");
  if (!language) return NULL;
  size_t length;
  if (!read_text(env, state, argv[1], &length)) return NULL;
  int32_t *data;
  size_t elements;
  if (!int32_array(env, argv[2], "parse: `out` must be an Int32Array", &data, &elements)) return NULL;

  if (!state->arena) state->arena = malloc(ARENA_BYTES);  // without it, malloc serves the parse
  state->arena_used = 0;
  state->arena_overflowed = false;
  active = state;
  TSParser *parser = ts_parser_new();
  TSTree *tree = ts_parser_set_language(parser, language)
                     ? ts_parser_parse_string_encoding(parser, NULL, (const char *)state->text, (uint32_t)(length * 2), TSInputEncodingUTF16LE)
                     : NULL;
  bool out_of_memory = false;
  size_t count = tree ? flatten(state, tree, data, elements / NODE_FIELDS, &out_of_memory) : 0;
  // Blocks outside the arena are freed one by one; the arena's are dropped by the next reset.
  if (state->arena_overflowed) {
    if (tree) ts_tree_delete(tree);
    ts_parser_delete(parser);
  }
  active = NULL;
  if (!tree) {
    napi_throw_error(env, NULL, "tree-sitter returned no tree");
    return NULL;
  }
  if (out_of_memory) {
    napi_throw_error(env, NULL, "out of memory while reading the tree");
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_double(env, (double)count, &result));
  return result;
}

static void delete_subtree_ids(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  subtree_ids_delete(data);
}

// newSubtreeIds() -> External holding an empty subtree interner (see subtree-ids.h), freed with it.
static napi_value new_subtree_ids(napi_env env, napi_callback_info info) {
  (void)info;
  SubtreeIds *ids = subtree_ids_new();
  if (!ids) {
    napi_throw_error(env, NULL, "out of memory for a subtree interner");
    return NULL;
  }
  napi_value result;
  if (napi_create_external(env, ids, delete_subtree_ids, NULL, &result) != napi_ok) {
    subtree_ids_delete(ids);
    return throw_last_error(env);
  }
  CHECK(napi_type_tag_object(env, result, &SUBTREE_IDS_TYPE_TAG));
  return result;
}

// clearSubtreeIds(ids): forgets every subtree.
static napi_value clear_subtree_ids(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return throw_type_error(env, "clearSubtreeIds(ids) takes one argument");
  SubtreeIds *ids = tagged_external(env, argv[0], &SUBTREE_IDS_TYPE_TAG, "clearSubtreeIds: expected ids from newSubtreeIds");
  if (ids) subtree_ids_clear(ids);
  return NULL;
}

// collectSubtrees(ids, parser, source, records: Int32Array, count, collected: Int32Array) ->
// number of subtree ids written to `collected` (at least `count` long): those of the `count`
// node records that parse(parser, source, records) wrote.
static napi_value collect_subtrees(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv)) return throw_type_error(env, "collectSubtrees(ids, parser, source, records, count, collected) takes six arguments");
  State *state;
  CHECK(napi_get_instance_data(env, (void **)&state));
  SubtreeIds *ids = tagged_external(env, argv[0], &SUBTREE_IDS_TYPE_TAG, "collectSubtrees: expected ids from newSubtreeIds");
  if (!ids) return NULL;
  const TSLanguage *language = tagged_external(env, argv[1], &PARSER_TYPE_TAG, "collectSubtrees: expected a parser from newParser");
  if (!language) return NULL;
  size_t length;
  if (!read_text(env, state, argv[2], &length)) return NULL;
  int32_t *records, *collected;
  size_t record_values, collected_length;
  uint32_t count;
  if (!int32_array(env, argv[3], "collectSubtrees: `records` must be an Int32Array", &records, &record_values)) return NULL;
  CHECK(napi_get_value_uint32(env, argv[4], &count));
  if (!int32_array(env, argv[5], "collectSubtrees: `collected` must be an Int32Array", &collected, &collected_length)) return NULL;
  if ((size_t)count * NODE_FIELDS > record_values || count > collected_length) {
    return throw_type_error(env, "collectSubtrees: `count` is more than `records` or `collected` hold");
  }
  int64_t written = subtree_ids_collect(ids, language, records, count, state->text, length, collected);
  if (written < 0) {
    napi_throw_error(env, NULL, "out of memory while interning subtrees");
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_double(env, (double)written, &result));
  return result;
}

// subtreeText(ids, id) -> the S-expression of a collected subtree.
static napi_value subtree_text(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return throw_type_error(env, "subtreeText(ids, id) takes two arguments");
  SubtreeIds *ids = tagged_external(env, argv[0], &SUBTREE_IDS_TYPE_TAG, "subtreeText: expected ids from newSubtreeIds");
  if (!ids) return NULL;
  int32_t id;
  CHECK(napi_get_value_int32(env, argv[1], &id));
  char *text = subtree_ids_text(ids, id);
  if (!text) return throw_type_error(env, "subtreeText: no such subtree");
  napi_value result;
  napi_status status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  free(text);
  CHECK(status);
  return result;
}

static void delete_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *state = data;
  free(state->text);
  free(state->frames);
  free(state->arena);
  free(state);
}

static napi_value init(napi_env env, napi_value exports) {
  State *state = calloc(1, sizeof *state);
  if (!state || napi_set_instance_data(env, state, delete_state, NULL) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, "could not set up the native parser's state");
    return NULL;
  }
  // The same functions for every thread; each reads its thread's active state (see `active`).
  ts_set_allocator(arena_malloc, arena_calloc, arena_realloc, arena_free);
  napi_value fields;
  napi_property_descriptor properties[] = {
      {"newParser", NULL, new_parser, NULL, NULL, NULL, napi_enumerable, NULL},
      {"symbolNames", NULL, symbol_names, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fieldNames", NULL, field_names, NULL, NULL, NULL, napi_enumerable, NULL},
      {"parse", NULL, parse, NULL, NULL, NULL, napi_enumerable, NULL},
      {"newSubtreeIds", NULL, new_subtree_ids, NULL, NULL, NULL, napi_enumerable, NULL},
      {"clearSubtreeIds", NULL, clear_subtree_ids, NULL, NULL, NULL, napi_enumerable, NULL},
      {"collectSubtrees", NULL, collect_subtrees, NULL, NULL, NULL, napi_enumerable, NULL},
      {"subtreeText", NULL, subtree_text, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nodeFields", NULL, NULL, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_create_uint32(env, NODE_FIELDS, &fields) != napi_ok) return NULL;
  properties[8].value = fields;
  if (napi_define_properties(env, exports, sizeof properties / sizeof *properties, properties) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
