import { availableLanguages, calcCodeBleu, getLanguage, loadLanguage, python } from '../src/index.js';

// Its own test file, so that no other test has loaded grammars yet.

test('grammars load on demand, one language at a time', async () => {
  expect(() => getLanguage('java')).toThrow(`Language "java" is not loaded yet: await loadLanguage('java') before scoring it`);
  const java = await loadLanguage('java');
  expect(getLanguage('java')).toBe(java);
  expect(await loadLanguage('java')).toBe(java);
  // Loading java loaded no other grammar.
  for (const other of ['javascript', 'c_sharp', 'php', 'c', 'cpp', 'go', 'ruby', 'rust']) expect(() => getLanguage(other)).toThrow(/is not loaded yet/);
  expect(calcCodeBleu(['int x = 1;'], ['int x = 1;'], 'java').syntax_match_score).toBe(1);
});

test('an unknown language is an error naming the supported ones, in the reference order', async () => {
  expect(availableLanguages()).toEqual(['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust']);
  const message = 'Unsupported language "cobol"; supported: java, javascript, c_sharp, php, c, cpp, python, go, ruby, rust';
  expect(() => getLanguage('cobol')).toThrow(message);
  await expect(loadLanguage('cobol')).rejects.toThrow(message);
});

test('python loads on first use too: the package has no top-level await', async () => {
  const message = `Language "python" is not loaded yet: await loadLanguage('python') before scoring it`;
  expect(() => calcCodeBleu(['x = 1'], ['x = 1'])).toThrow(message);
  expect(() => python.grammar).toThrow(message);
  expect(await loadLanguage('python')).toBe(python);
  expect(getLanguage('python')).toBe(python);
  expect(calcCodeBleu(['x = 1'], ['x = 1']).syntax_match_score).toBe(1);
});
