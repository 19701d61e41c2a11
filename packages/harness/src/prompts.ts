import type { EvalPlusTask, HumanEvalTask, MbppTask } from '@codistill/data';

/** A zero-shot prompt for a base model (plain text to continue) and its chat form for instruct models. */
export interface BenchmarkPrompt {
  taskId: string;
  /** Text a base model continues. */
  completionPrompt: string;
  /** What the chat variant asks to be solved (the code the model should complete, or the task). */
  problem: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** HumanEval: the signature and docstring; the model writes the body. */
export function humanEvalPrompt(task: HumanEvalTask): BenchmarkPrompt {
  return { taskId: task.taskId, completionPrompt: task.prompt, problem: task.prompt };
}

/** MBPP: the task text plus its first assert, which fixes the function name and signature. */
export function mbppPrompt(task: MbppTask): BenchmarkPrompt {
  const docstring = `"""\n${task.text.trim()}\n${task.testList[0] ?? ''}\n"""\n`;
  return { taskId: `Mbpp/${task.taskId}`, completionPrompt: docstring, problem: docstring };
}

/** HumanEval+ and MBPP+: EvalPlus' own prompt (HumanEval's, or for MBPP+ a docstring with the task and one example assert). */
export function evalPlusPrompt(task: EvalPlusTask): BenchmarkPrompt {
  return { taskId: task.taskId, completionPrompt: task.prompt, problem: task.prompt };
}

/**
 * Chat variant (EvalPlus' instruction wording): a user turn, and the start of the assistant turn
 * that the caller appends after applying the model's chat template, so the answer opens a code block.
 */
export function chatPrompt(prompt: BenchmarkPrompt, system?: string): { messages: ChatMessage[]; responsePrefix: string } {
  const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  messages.push({
    role: 'user',
    content: `Please provide a self-contained Python script that solves the following problem in a markdown code block:\n\`\`\`\n${prompt.problem.trim()}\n\`\`\`\n`,
  });
  return {
    messages,
    responsePrefix: 'Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n',
  };
}
