// Jobs go to Python as JSON; Python's json module reads NaN and +-Infinity tokens, which
// JSON.stringify would turn into null (MBPP+ Mbpp/404 has -Infinity among its inputs).
const MARK = '\u0000non-finite:';

export function toPythonJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? MARK + String(v) : v));
  return text.replace(/"\\u0000non-finite:(NaN|Infinity|-Infinity)"/g, '$1');
}
