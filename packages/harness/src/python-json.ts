// Jobs go to Python as JSON; Python's json module reads NaN and +-Infinity tokens, which
// JSON.stringify would turn into null (MBPP+ Mbpp/404 has -Infinity among its inputs). The tokens
// are written by the serialiser itself: a marker string replaced afterwards could be forged by a
// program's own text (its code travels in the same job).
export function toPythonJson(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : toPythonJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${toPythonJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
