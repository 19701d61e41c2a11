/** Turns a model's raw output into a runnable Python program for one task. */

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;
const CODE_START = /^(?:def |async def |class |import |from |@|#|if __name__)/;
const CODE_LINE = /^(?:def |async def |class |import |from |@|#|if |elif |else:|for |while |try:|except|finally:|with |return\b|assert |print\(|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?:=|\(|\[|\+=|-=))/;

/** Drops reasoning that some models print before the answer (<think>...</think>, "Reasoning:" prose). */
export function stripReasoning(output: string): string {
  return output.replace(/<think>[\s\S]*?<\/think>/g, '').replace(/^[\s\S]*<\/think>/, '');
}

function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const match of text.matchAll(FENCE)) {
    const lang = match[1].toLowerCase();
    if (lang === '' || lang === 'python' || lang === 'py' || lang === 'python3') blocks.push(match[2]);
  }
  return blocks;
}

/** Without fences: keep from the first code-looking line to the last line before prose resumes. */
function codeFromProse(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => CODE_START.test(line) || /^\s+\S/.test(line));
  if (start < 0) return text;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || /^\s/.test(line) || CODE_LINE.test(line)) continue;
    end = i;
    break;
  }
  return lines.slice(start, end).join('\n');
}

export function definesFunction(code: string, name: string): boolean {
  return new RegExp(`^\\s*(?:async\\s+)?def\\s+${name}\\s*\\(`, 'm').test(code);
}

/** The code part of an output: the fenced block that defines the entry point, else the largest one, else de-prosed text. */
export function extractCode(output: string, entryPoint?: string): string {
  const text = stripReasoning(output);
  const blocks = fencedBlocks(text);
  if (blocks.length === 0) return codeFromProse(text);
  const defining = entryPoint ? blocks.filter((b) => definesFunction(b, entryPoint)) : [];
  const pool = defining.length > 0 ? defining : blocks;
  return pool.reduce((best, block) => (block.length > best.length ? block : best));
}

/** Re-indents a function body written flush-left (or with tabs / 2 spaces) to 4 spaces. */
export function repairBodyIndentation(body: string): string {
  const lines = body.replace(/\t/g, '    ').split('\n');
  const first = lines.find((line) => line.trim() !== '');
  if (first === undefined) return body;
  const indent = first.length - first.trimStart().length;
  if (indent === 4) return lines.join('\n');
  return lines.map((line) => (line.trim() === '' ? line : '    ' + line.slice(Math.min(indent, line.length - line.trimStart().length)))).join('\n');
}

const COMMON_MODULES = ['math', 're', 'collections', 'itertools', 'heapq', 'functools', 'string', 'sys', 'bisect', 'operator'];
const TYPING_NAMES = /\b(?:List|Dict|Tuple|Optional|Any|Set|Union|Callable|Iterable)\b/;

/** Adds imports the code uses but forgot: the prompt's own imports, common modules, typing names. */
export function addMissingImports(code: string, prompt = ''): string {
  const header: string[] = [];
  for (const line of prompt.split('\n')) {
    if (/^(?:import |from \S+ import )/.test(line) && !code.includes(line.trim())) header.push(line.trim());
  }
  for (const module of COMMON_MODULES) {
    const used = new RegExp(`\\b${module}\\.`).test(code);
    const imported = new RegExp(`^\\s*(?:import [^\\n]*\\b${module}\\b|from ${module} )`, 'm').test(code);
    if (used && !imported) header.push(`import ${module}`);
  }
  if (TYPING_NAMES.test(code) && !/from typing import|import typing/.test(code)) header.push('from typing import *');
  return header.length > 0 ? `${[...new Set(header)].join('\n')}\n${code}` : code;
}

/**
 * A whole program from a model's output: if the output defines the entry point it is used as the
 * program (plus missing imports and the prompt's helper code); otherwise it is taken as the body
 * that continues the prompt (HumanEval-style completion) and re-indented.
 */
export function programFromOutput(output: string, task: { prompt: string; entryPoint: string }): string {
  const code = extractCode(output, task.entryPoint);
  if (definesFunction(code, task.entryPoint)) {
    const helpers = helperDefinitions(task.prompt, task.entryPoint).filter((h) => !definesFunction(code, h.name));
    return addMissingImports([...helpers.map((h) => h.source), code].join('\n'), task.prompt);
  }
  return task.prompt + repairBodyIndentation(code.replace(/^\n+/, ''));
}

/** Top-level functions the prompt defines besides the entry point (HumanEval/38's encode_cyclic). */
function helperDefinitions(prompt: string, entryPoint: string): Array<{ name: string; source: string }> {
  const helpers: Array<{ name: string; source: string }> = [];
  const chunks = prompt.split(/\n(?=def )/);
  for (const chunk of chunks) {
    const name = /^def\s+(\w+)/.exec(chunk)?.[1];
    if (name && name !== entryPoint) helpers.push({ name, source: chunk.trimEnd() + '\n' });
  }
  return helpers;
}
