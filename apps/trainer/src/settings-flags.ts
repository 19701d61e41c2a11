import { Option, type Command } from 'commander';
import { z } from 'zod';

/**
 * Command-line flags derived from a settings schema (zod): one flag per leaf field, its help from
 * the field's description and default, its value parsed to the field's type, and its errors named
 * by the flag. The schema stays the one definition of each setting.
 */
export interface SettingFlag {
  /** The field's path in the settings object. */
  path: string[];
  /** The flag's name without dashes (`learning_rate`, `train.lora.r`). */
  flag: string;
  schema: z.ZodType;
}

/** The object shape under defaults/nullables, or undefined for a leaf. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

/**
 * Every leaf field of `schema`, in schema order, named by `name` (default: the dotted path);
 * `name` returns null for a field that is not a flag.
 */
export function settingFlags(schema: z.ZodType, name: (path: string[]) => string | null = (p) => p.join('.'), prefix: string[] = []): SettingFlag[] {
  const shape = objectShape(schema);
  if (shape) return Object.entries(shape).flatMap(([key, field]) => settingFlags(field, name, [...prefix, key]));
  const flag = name(prefix);
  return flag === null ? [] : [{ path: prefix, flag, schema }];
}

/** A field without a default: its flag must be given. */
const isRequired = (schema: z.ZodType) => !schema.safeParse(undefined).success;

/** JSON types a field accepts ('string', 'number', 'integer', 'boolean', 'array', 'null', ...) and its named values. */
function accepted(schema: z.ZodType): { types: Set<string>; values: string[] } {
  const types = new Set<string>();
  const values: string[] = [];
  const visit = (s: Record<string, unknown>) => {
    const t = s.type;
    for (const type of Array.isArray(t) ? t : t ? [t] : []) types.add(type as string);
    if ('const' in s || 'enum' in s) types.add('string');
    values.push(...((s.enum as string[] | undefined) ?? ('const' in s ? [s.const as string] : [])));
    for (const alt of (s.anyOf ?? s.oneOf ?? []) as Record<string, unknown>[]) visit(alt);
  };
  visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
  return { types, values };
}

const acceptedTypes = (schema: z.ZodType) => accepted(schema).types;

/** The value's placeholder in help: its choices, or its kind. */
function placeholder(schema: z.ZodType): string {
  const { types, values } = accepted(schema);
  const number = types.has('integer') ? 'int' : types.has('number') ? 'number' : undefined;
  const kind = values.length ? [...values, ...(number ? [number] : [])].join('|') : types.has('array') ? 'list' : (number ?? 'value');
  // A flag that is also a text or a number (resume_from_checkpoint takes a path) says so.
  const more = values.length > 0 || types.has('string') || number !== undefined;
  return types.has('boolean') ? `[${more ? `true|false|${kind}` : 'true|false'}]` : `<${kind}>`;
}

/**
 * A flag's text as the value the field takes: numbers, true/false and null where the field accepts
 * them, a JSON array, or a comma-separated list for list fields; otherwise the text itself (the
 * schema then names the flag if it is wrong). A boolean flag given alone is true.
 */
export function parseFlagValue(raw: string | boolean, flag: SettingFlag): unknown {
  if (typeof raw === 'boolean') return raw;
  const types = acceptedTypes(flag.schema);
  if (raw === 'null' && types.has('null')) return null;
  if ((types.has('number') || types.has('integer')) && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  if (types.has('boolean') && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (types.has('array')) {
    if (raw.trim().startsWith('[')) {
      try {
        return JSON.parse(raw);
      } catch (e) {
        throw new Error(`--${flag.flag}: not a JSON array (${(e as Error).message})`);
      }
    }
    // A field that takes a list or a string (PEFT's target_modules): a name or names make a list,
    // anything else (a regex, 'all-linear') stays the string.
    if (types.has('string') && !/^[\w.]+(,[\w.]+)*$/.test(raw.replace(/\s/g, ''))) return raw;
    return raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (!types.has('string') && !Number.isNaN(Number(s)) ? Number(s) : s));
  }
  return raw;
}

const valueAt = (obj: unknown, path: string[]) => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], obj);
/** Commander's key for a flag's value: dashes camel-cased, underscores and dots kept. */
const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Adds `--<flag> <value>` per setting (`[value]` for fields that take a boolean: given alone it is
 * true; the placeholder names the choices or the kind), help from the description and `defaults`, required when the field has no default.
 * The dashed spelling (`--learning-rate`, as transformers' HfArgumentParser takes) is spellFlags'
 * work: it rewrites the command line to this one before commander parses it.
 */
export function addSettingFlags(command: Command, flags: SettingFlag[], defaults: unknown): void {
  for (const f of flags) {
    const about = [f.schema.description, isRequired(f.schema) ? 'required' : `default: ${JSON.stringify(valueAt(defaults, f.path)) ?? 'none'}`].filter(Boolean).join('; ');
    const value = placeholder(f.schema);
    command.addOption(new Option(`--${f.flag} ${value}`, about));
  }
}

/** Writes the flags given on the command line into a raw (not yet validated) settings object. */
export function applySettingFlags(raw: Record<string, unknown>, flags: SettingFlag[], given: Record<string, unknown>): Record<string, unknown> {
  for (const f of flags) {
    const value = given[attribute(f.flag)];
    if (value === undefined) continue;
    let node = raw;
    for (const key of f.path.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[f.path[f.path.length - 1]] = parseFlagValue(value as string | boolean, f);
  }
  return raw;
}

/** Validates settings read from flags; each problem names its flag (`--lora_r: ...`). */
function parseSettingFlags<S extends z.ZodType>(schema: S, raw: unknown, flags: SettingFlag[]): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const byPath = new Map(flags.map((f) => [f.path.join('.'), f.flag]));
  const problems = parsed.error.issues.map((i) => {
    const at = i.path.join('.');
    return `${byPath.has(at) ? `--${byPath.get(at)}` : at || '(root)'}: ${i.message}`;
  });
  throw new Error(problems.join('; '));
}

/** The settings as a Markdown table (flag, setting's path, default, meaning): the docs' copy of the schema. */
export function settingsTable(flags: SettingFlag[], defaults: unknown): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = flags.map((f) => {
    const fallback = isRequired(f.schema) ? 'required' : `\`${JSON.stringify(valueAt(defaults, f.path))}\``;
    return `| \`--${f.flag}\` | \`${f.path.join('.')}\` | ${cell(fallback)} | ${cell(f.schema.description ?? '')} |`;
  });
  return ['| flag | setting | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * `schema`'s settings as flags of `command` (help from `defaults`, by default the schema's own),
 * and the parser of what the command line gave: the settings, validated, errors naming the flag.
 */
export function addSettings<S extends z.ZodType>(command: Command, schema: S, options: { defaults?: unknown; name?: (path: string[]) => string | null } = {}) {
  const flags = settingFlags(schema, options.name);
  addSettingFlags(command, flags, options.defaults ?? schema.parse({}));
  return { flags, parse: (given: Record<string, unknown>): z.output<S> => parseSettingFlags(schema, applySettingFlags({}, flags, given), flags) };
}
