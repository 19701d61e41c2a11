import type { Command } from 'commander';
import { startServer } from '../serve.js';
import { optionalNumber } from './flag-values.js';

interface ServeFlags {
  model: string;
  adapter?: string;
  port: string;
  host: string;
  servedModelName?: string;
  threads?: string;
  maxTokensLimit?: string;
}

/** `codistill serve`: the student (with or without an adapter) behind an OpenAI-compatible API. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a causal LM (and optional LoRA adapter) over an OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions, /v1/models')
    .requiredOption('--model <dir|hub id>', 'checkpoint folder or Hub model id')
    .option('--adapter <dir>', 'LoRA adapter folder (PEFT format)')
    .option('--port <n>', 'TCP port (0 = any free port)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--served-model-name <name>', "the `model` clients send (default: the model folder's name)")
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--max-tokens-limit <n>', 'cap on max_tokens whatever a client asks')
    .action(async (o: ServeFlags) => {
      const server = await startServer({
        model: o.model,
        adapter: o.adapter,
        port: Number(o.port),
        host: o.host,
        servedName: o.servedModelName,
        threads: optionalNumber(o.threads),
        maxTokensLimit: optionalNumber(o.maxTokensLimit),
      });
      console.log(`serving '${server.modelName}' at ${server.url}`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
