import { Command } from 'commander';
import { registerCommands } from '../src/commands/index.js';
import { spellFlags } from '../src/flag-spelling.js';

const program = new Command('codistill');
registerCommands(program);
const spelt = (...args: string[]) => spellFlags(program, ['node', 'cli', ...args]).slice(2);

test('either spelling of a flag is taken, as each command spells it; values and unknown flags are left alone', () => {
  expect(spelt('generate', '--max_new_tokens', '2', '--allow_cpu_fallback', '--top_p=0.9')).toEqual(['generate', '--max-new-tokens', '2', '--allow-cpu-fallback', '--top-p=0.9']);
  // eval defines both spellings of its settings' flags: as given.
  expect(spelt('eval', '--max-new-tokens', '8', '--allow_cpu_fallback')).toEqual(['eval', '--max-new-tokens', '8', '--allow-cpu-fallback']);
  expect(spelt('serve', '--served_model_name', 'x', '--max_tokens_limit', '9')).toEqual(['serve', '--served-model-name', 'x', '--max-tokens-limit', '9']);
  expect(spelt('metrics', 'codebleu', '--refs', 'a', '--max_tokens')).toEqual(['metrics', 'codebleu', '--refs', 'a', '--max_tokens']);
  expect(spelt('generate', '--prompt', 'train', '--max_new_tokens', '2')).toEqual(['generate', '--prompt', 'train', '--max-new-tokens', '2']);
  expect(spelt('generate', '--no_such_flag', '--', '--max_new_tokens')).toEqual(['generate', '--no_such_flag', '--', '--max_new_tokens']);
});
