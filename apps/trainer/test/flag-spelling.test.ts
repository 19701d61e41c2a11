import { Command } from 'commander';
import { registerCommands } from '../src/commands/index.js';
import { spellFlags } from '../src/flag-spelling.js';

const program = new Command('codistill');
registerCommands(program);
const spelt = (...args: string[]) => spellFlags(program, ['node', 'cli', ...args]).slice(2);

test('either spelling of a flag is taken, as each command spells it; values and unknown flags are left alone', () => {
  expect(spelt('generate', '--max_new_tokens', '2', '--allow_cpu_fallback', '--top_p=0.9')).toEqual(['generate', '--max-new-tokens', '2', '--allow-cpu-fallback', '--top-p=0.9']);
  // Settings flags are defined as the schema names them (`_`), the others with `-`.
  expect(spelt('eval', '--max-new-tokens', '8', '--allow_cpu_fallback', '--batch-size=2')).toEqual(['eval', '--max_new_tokens', '8', '--allow-cpu-fallback', '--batch_size=2']);
  expect(spelt('run', '--train.learning-rate', '0.5', '--train.lora.lora-alpha=16', '--data.max_tokens=9')).toEqual(['run', '--train.learning_rate', '0.5', '--train.lora.lora_alpha=16', '--data.max_tokens=9']);
  expect(spelt('serve', '--served_model_name', 'x', '--max_tokens_limit', '9')).toEqual(['serve', '--served-model-name', 'x', '--max-tokens-limit', '9']);
  expect(spelt('metrics', 'codebleu', '--refs', 'a', '--max_tokens')).toEqual(['metrics', 'codebleu', '--refs', 'a', '--max_tokens']);
  expect(spelt('generate', '--prompt', 'train', '--max_new_tokens', '2')).toEqual(['generate', '--prompt', 'train', '--max-new-tokens', '2']);
  expect(spelt('generate', '--no_such_flag', '--', '--max_new_tokens')).toEqual(['generate', '--no_such_flag', '--', '--max_new_tokens']);
});
