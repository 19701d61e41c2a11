// "tree-sitter", "language" hashed with BLAKE2: the tag every grammar's Node binding puts on
// its `language` External (and node-tree-sitter checks).
#pragma once
#include <node_api.h>

static const napi_type_tag LANGUAGE_TYPE_TAG = {0x8AF2E5212AD58ABF, 0xD5006CAD83ABBA16};
