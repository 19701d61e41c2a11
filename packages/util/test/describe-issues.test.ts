import { describeIssues } from '../src/index.js';

test('validation issues as one line naming each field, nested values prefixed', () => {
  const issues = [
    { path: ['a'], message: 'expected number' },
    { path: ['b', 'c'], message: 'expected string' },
  ];
  expect(describeIssues(issues)).toBe('a: expected number; b.c: expected string');
  expect(describeIssues(issues.slice(0, 1), ['summary', 0])).toBe('summary.0.a: expected number');
  expect(describeIssues([{ path: [], message: 'expected an object' }])).toBe('(root): expected an object');
});
