import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

const SYSTEM = `You are an expert competitive programmer and teacher. You explain how to reach a solution without ever writing code.`;

/**
 * The teacher sees the question and a correct solution and writes the bridging context. The rules
 * against code matter: the student is trained to produce this context before the code, so any code
 * in it would leak the answer into the reasoning.
 *
 * With `problemId`, the answer must echo it as "problem_id" (checked by parseContextResponse), so an
 * answer that a proxy, cache or server mix-up delivers to the wrong request is refused, not stored.
 */
export function buildContextMessages(question: string, solution: string, problemId?: string): ChatCompletionMessageParam[] {
  const idField = problemId === undefined ? '' : `\n- "problem_id": the problem id given below, copied exactly.`;
  const idSection = problemId === undefined ? '' : `### Problem id\n${problemId}\n\n`;
  const user = `Below is a programming problem and a correct Python solution.

Write a bridging context that would let a strong student write this solution on their own. Answer with one JSON object with exactly these string fields:${idField}
- "intent": the main intention of the question, in your own words.
- "steps": the algorithmic steps that lead to the correct solution, in order.
- "formulas": the relevant mathematical formulas, or "None" if there are none.
- "edge_cases": the potential edge cases and how the approach handles them.
- "libraries": how the Python built-ins or standard-library tools used in the solution make it cleaner and more efficient (name them, say why they fit; do not show how they are called in the solution).

Rules:
- Do not write code: no code blocks, no Python statements, no lines copied from the solution, no pseudo-code that mirrors it line by line.
- Do not give direct coding hints such as variable names, exact expressions or loop headers.
- Output only the JSON object.

${idSection}### Problem
${question.trim()}

### Correct solution (for your understanding only; do not reveal it)
${solution.trim()}`;
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user },
  ];
}
