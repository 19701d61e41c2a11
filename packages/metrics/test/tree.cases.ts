import { CursorTreeReader } from '../src/cursor-tree-reader.js';
import { loadLanguage, type CodeLanguage } from '../src/index.js';
import { NativeTreeReader } from '../src/native-tree-reader.js';
import { TreeReader, type FlatTree } from '../src/tree.js';
import type { MemoryGrammar } from '../src/tree-sitter-wasm.js';
import { goldenSet, LANGUAGES } from './golden.js';
import { nativeTested } from './native-tested.js';

/**
 * TreeReader reads trees from web-tree-sitter's memory and NativeTreeReader parses with the
 * native parser; these tests compare every node of both with what the fallback,
 * CursorTreeReader (web-tree-sitter's public TreeCursor), reports for the same text, on tricky
 * python and on every golden text of every language.
 */
const TRICKY = [
  '',
  '# only a comment',
  'x = 1  # trailing comment\n# own line\ny = x',
  'if a not in b and c is not d:\n    pass',
  'total = 1 + \\\n    2',
  'f(a, *args, key=value, **kwargs)',
  '@decorator(arg)\nclass A(Base, metaclass=M):\n    """doc"""\n    def m(self, x: int = 1, *, y) -> int:\n        return x',
  'g = lambda x, y=2: x + y',
  'if (n := len(a)) > 10:\n    print(n)',
  'match command.split():\n    case [action, obj]:\n        pass\n    case Point(x=0) | None:\n        pass\n    case _:\n        pass',
  'name = f"{user!r:>10} has {len(items)} items"',
  "s = 'a' 'b' r'\\d' b'x' '''multi\nline'''",
  'async def main():\n    async with lock:\n        await task()\n    async for x in gen():\n        yield x',
  'def outer():\n    count = 0\n    def inner():\n        nonlocal count\n        global total\n        count += 1\n    return inner',
  'try:\n    x = 1 / 0\nexcept (ZeroDivisionError, ValueError) as error:\n    raise RuntimeError() from error\nelse:\n    pass\nfinally:\n    del x',
  'with open(a) as f, open(b) as g:\n    data = [line.strip() for line in f if line]\n    pairs = {k: v for k, v in zip(a, b)}\n    unique = {x for x in data}\n    total = sum(x * x for x in range(10))',
  'a, (b, *c) = d[1:2, ::3], e if f else g\nx += y; x //= 2; x **= 3',
  'print "python 2"\nexec code in ns',
  'def f(:\n  return ((',
  '$$$ ??? @@@',
  '\t\t\n  x\n\ty',
  'x = "héllo wörld 🙂"; y = x\nnaïve = 1',
  'for i in range(3):\n    continue\nelse:\n    break\nwhile not done:\n    done = True\nelse:\n    pass',
  'class P:\n    x: int\n    y: "list[int]" = []\n    def __init__(self): self.x = -1; assert self.x < 0, "neg"',
  'type Alias = list[int]\ndef generic[T](x: T) -> T: return x',
  'x = ' + '('.repeat(1000) + 'y' + ')'.repeat(1000),
];

const nativeTest = nativeTested ? test : test.skip;

/** The node arrays of a FlatTree, as one comparable object. */
function nodesOf(flat: FlatTree) {
  const { source: _source, ...arrays } = flat;
  return arrays;
}

function readers(language: CodeLanguage) {
  return {
    memory: new TreeReader(language.grammar as MemoryGrammar, language.singleTokenTypes),
    cursor: new CursorTreeReader(language.grammar, language.singleTokenTypes),
  };
}

describe.each(LANGUAGES)('TreeReader and NativeTreeReader against TreeCursor: %s', (lang) => {
  const { pairs } = goldenSet(lang);
  const texts = [...new Set([...(lang === 'python' ? TRICKY : []), ...pairs.flatMap((pair) => [pair.reference, pair.hypothesis])])];

  test(`all ${texts.length} texts read as the cursor walks them`, async () => {
    const { memory, cursor } = readers(await loadLanguage(lang));
    for (const [index, text] of texts.entries()) {
      expect({ index, nodes: nodesOf(memory.parse(text)) }).toEqual({ index, nodes: nodesOf(cursor.parse(text)) });
    }
  });

  nativeTest(`all ${texts.length} texts parse natively as the cursor walks them`, async () => {
    const language = await loadLanguage(lang);
    expect(language.nativeGrammar).toBeDefined();
    const native = new NativeTreeReader(language.nativeGrammar!, language.singleTokenTypes);
    const { cursor } = readers(language);
    for (const [index, text] of texts.entries()) {
      expect({ index, nodes: nodesOf(native.parse(text)) }).toEqual({ index, nodes: nodesOf(cursor.parse(text)) });
    }
  });
});

/** Each node array cut to the tree's size: a tree read into reused arrays keeps older entries past it. */
function liveNodesOf(flat: FlatTree) {
  const { source: _source, size, depth, ...arrays } = flat;
  return { size, depth, ...Object.fromEntries(Object.entries(arrays).map(([name, values]) => [name, values.slice(0, size)])) };
}

test.each(['memory', 'cursor', 'native'] as const)('a tree read by the %s reader into the previous tree\'s arrays equals one read fresh', async (kind) => {
  const language = await loadLanguage('python');
  if (kind === 'native' && !nativeTested) return;
  const reader = kind === 'native' ? new NativeTreeReader(language.nativeGrammar!, language.singleTokenTypes) : readers(language)[kind];
  // Large and small trees in turn, so that every reused tree has stale entries past its size.
  const texts = [TRICKY[TRICKY.length - 1], ...TRICKY.slice(0, -1), ...goldenSet('python').pairs.slice(0, 20).map((pair) => pair.reference)];
  let reused: FlatTree | undefined;
  for (const [index, text] of texts.entries()) {
    reused = reader.parse(text, reused);
    expect({ index, nodes: liveNodesOf(reused) }).toEqual({ index, nodes: liveNodesOf(reader.parse(text)) });
    expect(reused.source).toBe(text);
  }
});

test('children are linked in order', async () => {
  const flat = readers(await loadLanguage('python')).memory.parse('def f(a, b):\n    return a + b');
  for (let node = 0; node < flat.size; node++) {
    const linked: number[] = [];
    for (let child = flat.firstChild[node]; child >= 0; child = flat.nextSibling[child]) linked.push(child);
    const byParent = [...Array(flat.size).keys()].filter((id) => flat.parent[id] === node);
    expect(linked).toEqual(byParent);
    expect(flat.lastChild[node]).toBe(byParent.length ? byParent[byParent.length - 1] : -1);
  }
});
