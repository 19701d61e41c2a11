import type { AttrKind } from './ir.js';
import type { OpDef } from './op-def.js';

const registry = new Map<string, OpDef>();

export function registerOp(def: OpDef): OpDef {
  if (registry.has(def.op)) throw new Error(`op ${def.op} registered twice`);
  registry.set(def.op, def);
  return def;
}

export function getOp(op: string): OpDef | undefined {
  return registry.get(op);
}

export function attrKinds(op: string): Record<string, AttrKind> {
  return registry.get(op)?.attrs ?? {};
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}
