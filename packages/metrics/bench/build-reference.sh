#!/usr/bin/env bash
# Builds the reference, k4black/codebleu 0.7.1, from source without PyPI: codebleu (pure Python),
# py-tree-sitter 0.23.2 with its tree-sitter core (C), and the ten grammars from the pinned npm
# packages in this package's node_modules, compiled into the tree_sitter_<lang> modules codebleu
# imports (each module's language() returns the "tree_sitter.Language" capsule, as the grammars'
# own Python bindings do; php's is language_php()). Needs gcc and a CPython 3.11 with headers.
#
# Usage: bench/build-reference.sh CODEBLEU_REPO PY_TREE_SITTER_REPO TREE_SITTER_REPO [PYTHON]
#   the three arguments are git repositories (clones or bare mirrors) holding the pinned commits;
#   PYTHON defaults to python3.11. Builds into $REF_DIR (default /tmp/codebleu-ref); afterwards
#   $REF_DIR/venv/bin/python imports codebleu (set CODEBLEU_REFERENCE_PYTHON to it for the bench).
set -euo pipefail
CODEBLEU_REPO=$1 PY_TREE_SITTER_REPO=$2 TREE_SITTER_REPO=$3 PYTHON=${4:-python3.11}
REF_DIR=${REF_DIR:-/tmp/codebleu-ref}
CODEBLEU_COMMIT=b0edb622f6a52fe9d1edc407be5061d3e1462a7f # VERSION 0.7.1
PY_TREE_SITTER_COMMIT=v0.23.2
TREE_SITTER_COMMIT=f629fd4aed892685c581199da09387d85806b062 # py-tree-sitter 0.23.2's submodule (v0.24.3-2)
PACKAGE_DIR=$(cd "$(dirname "$0")/.." && pwd)
CFLAGS=(-O3 -DNDEBUG -fwrapv -fPIC -shared -std=c11 -fvisibility=hidden)

mkdir -p "$REF_DIR"
cd "$REF_DIR"
rm -rf codebleu py-tree-sitter grammars venv
mkdir -p codebleu py-tree-sitter/tree_sitter/core grammars
git -C "$CODEBLEU_REPO" archive "$CODEBLEU_COMMIT" | tar -x -C codebleu
git -C "$PY_TREE_SITTER_REPO" archive "$PY_TREE_SITTER_COMMIT" | tar -x -C py-tree-sitter
[ "$(git -C "$PY_TREE_SITTER_REPO" rev-parse "$PY_TREE_SITTER_COMMIT:tree_sitter/core")" = "$TREE_SITTER_COMMIT" ]
git -C "$TREE_SITTER_REPO" archive "$TREE_SITTER_COMMIT" lib | tar -x -C py-tree-sitter/tree_sitter/core

"$PYTHON" -m venv --without-pip venv
PY=$REF_DIR/venv/bin/python
INCLUDE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
SUFFIX=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

# py-tree-sitter's extension: the sources, macros and flags of its setup.py
(
  cd py-tree-sitter
  gcc "${CFLAGS[@]}" -Wno-cast-function-type -Werror=implicit-function-declaration \
    -DPY_SSIZE_T_CLEAN -DTREE_SITTER_HIDE_SYMBOLS -UTREE_SITTER_FEATURE_WASM \
    -Itree_sitter/binding -Itree_sitter/core/lib/include -Itree_sitter/core/lib/src -I"$INCLUDE" \
    tree_sitter/core/lib/src/lib.c tree_sitter/binding/{language,lookahead_iterator,lookahead_names_iterator,node,parser,query,query_predicates,range,tree,tree_cursor,module}.c \
    -o "tree_sitter/_binding$SUFFIX"
)

grammar() { # npm package, version, python module, C function, python function, src folder in the package
  local dir
  dir=$(readlink -f "$PACKAGE_DIR/node_modules/$1")
  [ "$(node -p "require('$dir/package.json').version")" = "$2" ] || { echo "$1 is not $2" >&2; exit 1; }
  cat > "grammars/$3.c" <<C
#include <Python.h>
typedef struct TSLanguage TSLanguage;
TSLanguage *$4(void);
static PyObject *language(PyObject *self, PyObject *args) { return PyCapsule_New($4(), "tree_sitter.Language", NULL); }
static PyMethodDef methods[] = {{"$5", language, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "$3", NULL, -1, methods};
PyMODINIT_FUNC PyInit_$3(void) { return PyModule_Create(&module); }
C
  local sources=("grammars/$3.c" "$dir/$6/parser.c")
  [ -f "$dir/$6/scanner.c" ] && sources+=("$dir/$6/scanner.c")
  gcc "${CFLAGS[@]}" -I"$INCLUDE" -I"$dir/$6" "${sources[@]}" -o "grammars/$3$SUFFIX"
}
grammar tree-sitter-java 0.23.5 tree_sitter_java tree_sitter_java language src
grammar tree-sitter-javascript 0.23.1 tree_sitter_javascript tree_sitter_javascript language src
grammar tree-sitter-c-sharp 0.23.1 tree_sitter_c_sharp tree_sitter_c_sharp language src
grammar tree-sitter-php 0.23.12 tree_sitter_php tree_sitter_php language_php php/src
grammar tree-sitter-c 0.23.6 tree_sitter_c tree_sitter_c language src
grammar tree-sitter-cpp 0.23.4 tree_sitter_cpp tree_sitter_cpp language src
grammar tree-sitter-python 0.23.6 tree_sitter_python tree_sitter_python language src
grammar tree-sitter-go 0.23.4 tree_sitter_go tree_sitter_go language src
grammar tree-sitter-ruby 0.23.1 tree_sitter_ruby tree_sitter_ruby language src
grammar tree-sitter-rust 0.23.3 tree_sitter_rust tree_sitter_rust language src

# the three folders onto the venv's path (no pip, no setuptools, no network)
printf '%s\n' "$REF_DIR/codebleu" "$REF_DIR/py-tree-sitter" "$REF_DIR/grammars" \
  > "$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/codebleu-reference.pth"
"$PY" -c 'import codebleu, tree_sitter; print("built: codebleu", open(codebleu.__path__[0] + "/../VERSION").read().strip(), "tree_sitter", tree_sitter.__file__)'
