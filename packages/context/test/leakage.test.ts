import { findLeak, parseContextResponse, renderContext, type ContextSections } from '../src/index.js';

const SOLUTION = `import sys
from itertools import accumulate

def main():
    data = sys.stdin.read().split()
    n, q = int(data[0]), int(data[1])
    prefix = [0] + list(accumulate(map(int, data[2:2 + n])))
    for k in range(q):
        l, r = int(data[2 + n + 2 * k]), int(data[3 + n + 2 * k])
        print(prefix[r] - prefix[l - 1])

main()
`;

const clean: ContextSections = {
  intent: 'Answer many range-sum queries over a fixed array quickly.',
  steps: '1. Read the array.\n2. Build prefix sums once.\n3. Answer each query as the difference of two prefix sums.',
  formulas: 'sum(l..r) = P(r) - P(l - 1), where P(i) = a_1 + ... + a_i',
  edge_cases: 'A query with l = 1 uses P(0) = 0. Single-element ranges. Large totals need arbitrary-precision integers.',
  libraries: 'itertools.accumulate builds the running totals in one pass, and reading all of stdin at once with `sys.stdin.read()` avoids slow per-line input. `sorted()` is not needed.',
};

describe('findLeak', () => {
  it('passes a clean context, inline names of built-ins and formulas included', () => {
    expect(findLeak(clean, SOLUTION)).toBeNull();
  });

  it.each([
    ['fenced-code', { steps: 'Like this:\n```\nx = 1\n```' }],
    ['fenced-code', { steps: '~~~\nanything\n~~~' }],
    ['solution-line', { steps: 'Compute prefix = [0] + list(accumulate(map(int, data[2:2 + n]))) first.' }],
    ['solution-line', { libraries: 'Use `print(prefix[r] - prefix[l - 1])` for each query.' }],
    ['code-statement', { steps: 'def answer(queries):\n    return 0' }],
    ['code-statement', { steps: '- for i in range(1, n + 1):' }],
    ['code-statement', { libraries: 'from collections import defaultdict' }],
    ['code-statement', { steps: 'Start with `total = int(input())`.' }],
    ['verbatim-overlap', { formulas: 'The answer is int(data[2 + n + 2 * k]), int(data[3 + n + 2 * k]) per query' }],
  ])('flags %s', (kind, change) => {
    expect(findLeak({ ...clean, ...change }, SOLUTION)?.kind).toBe(kind);
  });

  it('ignores short generic lines the solution happens to contain', () => {
    expect(findLeak({ ...clean, steps: 'main()' }, SOLUTION)).toBeNull();
  });
});

describe('parseContextResponse', () => {
  const json = JSON.stringify({ ...clean, steps: ['Read.', 'Prefix sums.', 'Answer.'] });

  it('accepts a JSON object, bare or in a json fence, with list-valued sections', () => {
    const sections = parseContextResponse('```json\n' + json + '\n```');
    expect(sections.steps).toBe('1. Read.\n2. Prefix sums.\n3. Answer.');
    expect(parseContextResponse(json)).toEqual(sections);
  });

  it('names the missing or wrong section', () => {
    const { intent: _omit, ...rest } = clean;
    expect(() => parseContextResponse(JSON.stringify(rest))).toThrow(/section "intent"/);
    expect(() => parseContextResponse(JSON.stringify({ ...clean, edge_cases: '' }))).toThrow(/section "edge_cases": empty/);
    expect(() => parseContextResponse('Sure! Here it is.')).toThrow(/no JSON object/);
  });

  it('renders sections as titled text', () => {
    const text = renderContext({ ...clean, formulas: '' });
    expect(text.startsWith('Intent:\nAnswer many')).toBe(true);
    expect(text).toContain('Formulas:\nNone');
  });
});
