// Subtree ids in C: what src/syntax.ts's collectSubtrees and SubtreeInterner compute from a
// FlatTree, computed from the native parser's node records instead (see subtree-ids.c).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

typedef struct SubtreeIds SubtreeIds;

SubtreeIds *subtree_ids_new(void);
void subtree_ids_delete(SubtreeIds *self);
// Forgets every subtree; the buffers are kept.
void subtree_ids_clear(SubtreeIds *self);
// Interns the subtrees of one tree (`count` node records of `language`, parsed from `text`, of
// `length` UTF-16 units) and writes the ids of the collected ones (the root and every node with
// children, in pre-order) to `collected`, which holds at least `count`. Returns how many, or -1
// when memory ran out. An interner serves one language.
int64_t subtree_ids_collect(SubtreeIds *self, const TSLanguage *language, const int32_t *records, size_t count,
                            const uint16_t *text, size_t length, int32_t *collected);
// The S-expression of an id (tree-sitter's ts_node_string, as the reference compares them), a
// malloc'ed UTF-8 string, or NULL when memory ran out or the id is unknown.
char *subtree_ids_text(SubtreeIds *self, int32_t id);
