// EvalPlus files are written by Python's json module, which emits NaN, Infinity and -Infinity
// as bare tokens. JSON.parse rejects them; this parser maps them to the JS numbers.

const PLACEHOLDER = '\u0000py-float:';
const TOKEN = /(-?Infinity|NaN)/y;

/** JSON.parse that also accepts Python's non-finite float tokens outside strings. */
export function parsePythonJson(text: string): unknown {
  let rewritten = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    if (char !== 'N' && char !== 'I' && char !== '-') continue;
    TOKEN.lastIndex = i;
    const match = TOKEN.exec(text);
    if (!match) continue;
    rewritten += text.slice(copiedUpTo, i) + JSON.stringify(PLACEHOLDER + match[1]);
    i += match[1].length - 1;
    copiedUpTo = i + 1;
  }
  if (copiedUpTo === 0) return JSON.parse(text);
  return JSON.parse(rewritten + text.slice(copiedUpTo), (_key, value) =>
    typeof value === 'string' && value.startsWith(PLACEHOLDER) ? Number(value.slice(PLACEHOLDER.length)) : value,
  );
}
