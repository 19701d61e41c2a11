// Imports the module, not the package index: only structural.test.ts loads the parser (see there).
import { continuationPerplexity, perplexity, prefixTokenCount, questionPerplexity } from '../src/perplexity.js';

test('perplexity is exp of the mean negative log-probability', () => {
  expect(perplexity([Math.log(0.5), Math.log(0.5)])).toBeCloseTo(2, 12);
  expect(perplexity([Math.log(0.25), Math.log(1)])).toBeCloseTo(2, 12);
  expect(perplexity([-Infinity])).toBe(Infinity);
  expect(() => perplexity([])).toThrow(/no token/);
  expect(() => perplexity([NaN])).toThrow(/token 0 is NaN/);
  expect(() => perplexity([0.5])).toThrow(/positive/);
});

test('the prefix is 10 % of the tokens, at least one token on each side', () => {
  expect(prefixTokenCount(100)).toBe(10);
  expect(prefixTokenCount(15)).toBe(1);
  expect(prefixTokenCount(2)).toBe(1);
  expect(prefixTokenCount(10, 0.5)).toBe(5);
  expect(() => prefixTokenCount(1)).toThrow(/at least 2 tokens/);
  expect(() => prefixTokenCount(10, 1)).toThrow(/strictly between 0 and 1/);
});

test('continuation perplexity ignores the prefix, whose first token may lack a log-probability', () => {
  const logprobs = [null, Math.log(0.9), ...Array.from({ length: 18 }, () => Math.log(0.5))];
  expect(continuationPerplexity(logprobs)).toBeCloseTo(2, 12);
  expect(() => continuationPerplexity([null, null, -1])).toThrow(/token 1 has no log-probability/);
});

test('questionPerplexity calls the supplied model once on the whole text', async () => {
  const seen: string[] = [];
  const scorer = async (text: string) => {
    seen.push(text);
    return [null, ...Array.from({ length: 19 }, () => Math.log(0.25))];
  };
  await expect(questionPerplexity('Write a function that...', scorer)).resolves.toBeCloseTo(4, 12);
  expect(seen).toEqual(['Write a function that...']);
});
