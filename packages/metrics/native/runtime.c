// tree-sitter's C runtime as scripts/build-native.mjs compiles it: the pinned release's own
// sources (the files its lib.c includes, in the same order), with one function replaced.
//
// ts_stack_pop_count runs on every reduction. The runtime's version walks the stack with its
// general GLR iterator (a callback per node, a copy of the iterator per branch) and hands the
// popped subtrees and the new stack head over through structs assembled on the C stack and then
// copied, which the processor cannot forward from its store buffer (a wide load of data that
// narrower stores have just written waits for them to reach the cache). perf put the two at a
// sixth of c_sharp's parse. Almost every pop follows a single path (no stack node on the way has
// more than one link); this one pops those directly and writes the slice with stores as wide as
// the parser's reads of it, and leaves every branching pop to the runtime's own. The result is
// the same slice, head and reference counts, so the same tree (test/tree.cases.ts compares
// every golden text's tree with web-tree-sitter's); the parse was 10-17 % faster in all ten
// languages (AMD EPYC VM, 2026-12-02, see README "Performance").
#include "./alloc.c"
#include "./get_changed_ranges.c"
#include "./language.c"
#include "./lexer.c"
#include "./node.c"
#include "./parser.c"
#include "./query.c"
// The runtime's own definition, renamed (parser.c has declared and called the real name).
#define ts_stack_pop_count ts_stack_pop_count_of_runtime
#include "./stack.c"
#undef ts_stack_pop_count

// Writes a StackSlice the way ts_parser__reduce reads it right after the pop: 16 bytes of
// `subtrees`, then 8 bytes holding `version` (gcc copies the struct in those two pieces).
static void write_slice(StackSlice *slice, Subtree *subtrees, uint32_t size, uint32_t capacity, StackVersion version) {
#if UINTPTR_MAX == UINT64_MAX && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  _Static_assert(sizeof(StackSlice) == 24 && offsetof(StackSlice, version) == 16, "StackSlice's layout");
  typedef uint64_t Words __attribute__((vector_size(16)));
  Words array = {(uint64_t)(uintptr_t)subtrees, size | (uint64_t)capacity << 32};
  uint64_t version_word = version;
  memcpy(&slice->subtrees, &array, sizeof array);
  memcpy(&slice->version, &version_word, sizeof version_word);
#else
  *slice = (StackSlice){.subtrees = {.contents = subtrees, .size = size, .capacity = capacity}, .version = version};
#endif
}

// Pops `count` non-extra subtrees (and the extras among them) off `version` into one slice on a
// new version, as the runtime's stack__iter does for a path without branches.
StackSliceArray ts_stack_pop_count(Stack *self, StackVersion version, uint32_t count) {
  StackHead *head = array_get(&self->heads, version);
  StackNode *node = head->node;
  uint32_t links = 0, kept = 0;
  for (uint32_t counted = 0; counted < count; links++) {
    if (node->link_count != 1) return ts_stack_pop_count_of_runtime(self, version, count);
    const StackLink *link = &node->links[0];
    if (link->subtree.ptr) kept++;
    if (!link->subtree.ptr || !ts_subtree_extra(link->subtree)) counted++;
    node = link->node;
  }
  // As much room as the runtime reserves: ts_subtree_new_node builds the parent in this block.
  uint32_t capacity = (uint32_t)(ts_subtree_alloc_size(count) / sizeof(Subtree));
  if (capacity < kept) capacity = kept;
  Subtree *subtrees = ts_malloc(capacity * sizeof(Subtree));
  // The stack runs from the newest subtree back; the slice holds them oldest first.
  node = head->node;
  for (uint32_t i = 0, left = kept; i < links; i++) {
    Subtree subtree = node->links[0].subtree;
    if (subtree.ptr) {
      subtrees[--left] = subtree;
      ts_subtree_retain(subtree);
    }
    node = node->links[0].node;
  }
  // ts_stack__add_version, with the head written in place (the array may move as it grows).
  unsigned node_count_at_last_error = head->node_count_at_last_error;
  Subtree last_external_token = head->last_external_token;
  _array__grow((Array *)&self->heads, 1, sizeof(StackHead));
  StackVersion added = (StackVersion)self->heads.size++;
  head = &self->heads.contents[added];
  head->node = node;
  head->summary = NULL;
  head->node_count_at_last_error = node_count_at_last_error;
  head->last_external_token = last_external_token;
  head->lookahead_when_paused = NULL_SUBTREE;
  head->status = StackStatusActive;
  stack_node_retain(node);
  if (last_external_token.ptr) ts_subtree_retain(last_external_token);
  array_clear(&self->slices);
  _array__grow((Array *)&self->slices, 1, sizeof(StackSlice));
  write_slice(&self->slices.contents[0], subtrees, kept, capacity, added);
  self->slices.size = 1;
  return (StackSliceArray){.contents = self->slices.contents, .size = 1, .capacity = self->slices.capacity};
}

#include "./subtree.c"
#include "./tree_cursor.c"
#include "./tree.c"
#include "./wasm_store.c"
