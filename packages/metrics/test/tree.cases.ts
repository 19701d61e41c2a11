import { Parser } from 'web-tree-sitter';
import { getLanguage } from '../src/index.js';
import { TreeReader } from '../src/tree.js';
import { goldenPairs } from './golden.js';

/**
 * TreeReader reads trees from web-tree-sitter's memory; these tests compare every node with
 * what web-tree-sitter's public TreeCursor reports for the same parse.
 */
interface CursorNode {
  type: string;
  named: boolean;
  missing: boolean;
  field: string | null;
  parent: number;
  start: number;
  end: number;
}

const python = getLanguage('python');

function walkWithCursor(parser: Parser, source: string): CursorNode[] {
  const tree = parser.parse(source)!;
  const cursor = tree.walk();
  const nodes: CursorNode[] = [];
  const parents: number[] = [];
  try {
    for (;;) {
      nodes.push({
        type: cursor.nodeType,
        named: cursor.nodeIsNamed,
        missing: cursor.nodeIsMissing,
        field: cursor.currentFieldName,
        parent: parents.length ? parents[parents.length - 1] : -1,
        start: cursor.startIndex,
        end: cursor.endIndex,
      });
      if (cursor.gotoFirstChild()) {
        parents.push(nodes.length - 1);
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return nodes;
        parents.pop();
      }
    }
  } finally {
    cursor.delete();
    tree.delete();
  }
}

/** The spans FlatTree documents: tree-sitter's for leaves and single tokens, else first child's start to last child's end. */
function expectedSpans(nodes: CursorNode[]): Array<[number, number]> {
  const spans = nodes.map((node) => [node.start, node.end] as [number, number]);
  for (let node = nodes.length - 1; node >= 0; node--) {
    const children = nodes.flatMap((other, id) => (other.parent === node ? [id] : []));
    if (children.length === 0 || python.singleTokenTypes.has(nodes[node].type)) continue;
    spans[node] = [spans[children[0]][0], spans[children[children.length - 1]][1]];
  }
  return spans;
}

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

describe('TreeReader against web-tree-sitter TreeCursor', () => {
  const reader = new TreeReader(python.grammar, python.singleTokenTypes);
  const parser = new Parser();
  parser.setLanguage(python.grammar.language);
  const texts = [...new Set([...TRICKY, ...goldenPairs.flatMap((pair) => [pair.reference, pair.hypothesis])])];

  test.each(texts.map((text, index) => [index, text]))('text %i reads as the cursor walks it', (_index, text) => {
    const flat = reader.parse(text);
    const nodes = walkWithCursor(parser, text);
    const spans = expectedSpans(nodes);
    expect(flat.size).toBe(nodes.length);
    const actual = nodes.map((_node, id) => ({
      type: flat.type[id],
      named: flat.named[id],
      missing: flat.missing[id],
      field: flat.field[id],
      parent: flat.parent[id],
      span: [flat.start[id], flat.end[id]],
    }));
    const expected = nodes.map((node, id) => ({ type: node.type, named: node.named, missing: node.missing, field: node.field, parent: node.parent, span: spans[id] }));
    expect(actual).toEqual(expected);
    let depth = 0;
    for (let id = 0, level: number[] = []; id < nodes.length; id++) {
      level[id] = nodes[id].parent < 0 ? 0 : level[nodes[id].parent] + 1;
      depth = Math.max(depth, level[id]);
    }
    expect(flat.depth).toBe(depth);
  });

  test('children are linked in order', () => {
    const flat = reader.parse('def f(a, b):\n    return a + b');
    for (let node = 0; node < flat.size; node++) {
      const linked: number[] = [];
      for (let child = flat.firstChild[node]; child >= 0; child = flat.nextSibling[child]) linked.push(child);
      const byParent = [...Array(flat.size).keys()].filter((id) => flat.parent[id] === node);
      expect(linked).toEqual(byParent);
      expect(flat.lastChild[node]).toBe(byParent.length ? byParent[byParent.length - 1] : -1);
    }
  });
});
