// A grammar's Node binding as its npm package builds one: the module exports `language`, an
// External tagged as a tree-sitter Language, and `version`, the version of the package it was
// compiled from (the loader uses the module only while that package is installed).
// scripts/build-native.mjs compiles it with the grammar's own parser.c (and scanner.c),
// GRAMMAR_FUNCTION defined as the function that parser.c exports (tree_sitter_<name>) and
// GRAMMAR_VERSION as the version string.
#include <node_api.h>
#include "language-tag.h"

typedef struct TSLanguage TSLanguage;
const TSLanguage *GRAMMAR_FUNCTION(void);

static napi_value init(napi_env env, napi_value exports) {
  napi_value language, version;
  if (napi_create_external(env, (void *)GRAMMAR_FUNCTION(), NULL, NULL, &language) != napi_ok ||
      napi_type_tag_object(env, language, &LANGUAGE_TYPE_TAG) != napi_ok ||
      napi_set_named_property(env, exports, "language", language) != napi_ok ||
      napi_create_string_utf8(env, GRAMMAR_VERSION, NAPI_AUTO_LENGTH, &version) != napi_ok ||
      napi_set_named_property(env, exports, "version", version) != napi_ok) {
    return NULL;  // the failed call left an exception pending, which require throws
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
