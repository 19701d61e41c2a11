import type { Command } from 'commander';
import { z } from 'zod';
import { objectShape } from './presets.js';

/** One config field as a `codistill run` flag: `--train.lora.r <value>` sets `train.lora.r`. */
export interface ConfigFlag {
  path: string;
  schema: z.ZodType;
}

/** Every leaf field of the config schema, in schema order. */
export function configFlags(schema: z.ZodType, prefix = ''): ConfigFlag[] {
  const shape = objectShape(schema);
  if (!shape) return [{ path: prefix, schema }];
  return Object.entries(shape).flatMap(([key, field]) => configFlags(field, prefix ? `${prefix}.${key}` : key));
}

/** JSON types a field accepts ('string', 'number', 'integer', 'boolean', 'array', 'null', ...). */
function acceptedTypes(schema: z.ZodType): Set<string> {
  const types = new Set<string>();
  const visit = (s: Record<string, unknown>) => {
    const t = s.type;
    for (const type of Array.isArray(t) ? t : t ? [t] : []) types.add(type as string);
    if ('const' in s || 'enum' in s) types.add('string');
    for (const alt of (s.anyOf ?? s.oneOf ?? []) as Record<string, unknown>[]) visit(alt);
  };
  visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
  return types;
}

/**
 * A flag's text as the value the field takes: numbers, true/false and null where the field accepts
 * them, a JSON array, or a comma-separated list for list fields; otherwise the text itself (the
 * schema then names the field if it is wrong).
 */
export function parseFlagValue(raw: string, flag: ConfigFlag): unknown {
  const types = acceptedTypes(flag.schema);
  if (raw === 'null' && types.has('null')) return null;
  if ((types.has('number') || types.has('integer')) && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  if (types.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (types.has('array')) {
    if (raw.trim().startsWith('[')) {
      try {
        return JSON.parse(raw);
      } catch (e) {
        throw new Error(`--${flag.path}: not a JSON array (${(e as Error).message})`);
      }
    }
    if (!types.has('string') || raw.includes(',')) return raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (!types.has('string') && !Number.isNaN(Number(s)) ? Number(s) : s));
  }
  return raw;
}

/** Adds one `--<path> <value>` option per config field to `command`. */
export function addConfigFlags(command: Command, flags: ConfigFlag[], defaults: unknown): void {
  for (const flag of flags) {
    const fallback = flag.path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], defaults);
    const about = [flag.schema.description, `default: ${JSON.stringify(fallback) ?? 'none'}`].filter(Boolean).join('; ');
    command.option(`--${flag.path} <value>`, about);
  }
}

/** Writes the flags given on the command line into a raw (not yet validated) config object. */
export function applyFlags(raw: Record<string, unknown>, flags: ConfigFlag[], given: Record<string, string | undefined>): Record<string, unknown> {
  for (const flag of flags) {
    const value = given[flag.path];
    if (value === undefined) continue;
    const keys = flag.path.split('.');
    let node = raw;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = parseFlagValue(value, flag);
  }
  return raw;
}
