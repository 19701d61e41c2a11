import { requireProvider } from '@codistill/graph';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SERVE_DEFAULTS, startServer, type RunningServer } from '@codistill/serve';
import { deviceOptions, type DeviceFlags } from './device-flags.js';
import { FLAG_RANGES, numberFlag } from './flag-values.js';
import { adapterRevisionOption, checkAdapterRevision, checkRevision, revisionOption } from './model-flags.js';

interface ServeFlags extends DeviceFlags {
  model: string;
  revision?: string;
  adapter?: string;
  adapterRevision?: string;
  port: number;
  host: string;
  servedModelName?: string;
  threads?: number;
  apiKey?: string;
  maxTokensLimit?: number;
  maxBodyBytes: number;
  drainTimeout: number;
}

/** `codistill serve`: the student (with or without an adapter) behind an OpenAI-compatible API. */
export function register(program: Command): void {
  const command = program
    .command('serve')
    .description('serve a causal LM (and optional LoRA adapter) over an OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions, /v1/models, /health')
    .requiredOption('--model <dir|hub id>', 'checkpoint folder or Hub model id');
  revisionOption(command)
    .option('--adapter <dir|hub id>', 'LoRA adapter (PEFT format)');
  adapterRevisionOption(command)
    .option('--port <n>', 'TCP port (0 = any free port)', numberFlag(FLAG_RANGES.port), SERVE_DEFAULTS.port)
    .option('--host <addr>', 'address to listen on', SERVE_DEFAULTS.host)
    .option('--served-model-name <name>', 'the `model` clients send (default: --model exactly as given, as vLLM)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads', numberFlag(FLAG_RANGES.parallelism));
  deviceOptions(command)
    .addOption(new Option('--api-key <key>', 'require `Authorization: Bearer <key>` on every request but GET /health').env('CODISTILL_API_KEY').argParser(apiKey))
    .option('--max-tokens-limit <n>', 'cap on max_tokens whatever a client asks', numberFlag(FLAG_RANGES.tokens))
    .option('--max-body-bytes <n>', 'larger request bodies are refused with HTTP 413', numberFlag({ integer: true, min: 1 }), SERVE_DEFAULTS.maxBodyBytes)
    .option('--drain-timeout <seconds>', 'on SIGTERM/SIGINT, how long in-flight requests may take to finish before they are cancelled', numberFlag(FLAG_RANGES.seconds), SERVE_DEFAULTS.drainSeconds)
    .action(async (o: ServeFlags) => {
      checkRevision(o.model, o.revision);
      checkAdapterRevision(o.adapter, o.adapterRevision);
      await requireProvider(o.device, '--device');
      const server = await startServer({
        model: o.model,
        revision: o.revision,
        adapter: o.adapter,
        adapterRevision: o.adapterRevision,
        port: o.port,
        host: o.host,
        servedName: o.servedModelName,
        threads: o.threads,
        device: o.device,
        allowCpuFallback: o.allowCpuFallback,
        apiKey: o.apiKey,
        maxTokensLimit: o.maxTokensLimit,
        maxBodyBytes: o.maxBodyBytes,
      });
      console.log(`serving '${server.modelName}' at ${server.url}`);
      exitOnSignal(server, o.drainTimeout);
    });
}

/** An empty or blank key would lock every client out (or look like auth while meaning none): refused. */
function apiKey(text: string): string {
  if (!text.trim()) throw new InvalidArgumentError('expected a non-empty key');
  return text;
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (cancelled after
 * `drainSeconds`), then exit 0, so a restart does not drop answers; a second signal cancels at once.
 */
function exitOnSignal(server: RunningServer, drainSeconds: number): void {
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    const first = signals++ === 0;
    console.error(first ? `${signal}: finishing ${server.inFlight} in-flight request(s) (cancelled after ${drainSeconds} s), then exiting` : `${signal}: cancelling in-flight requests`);
    server.close(first ? drainSeconds : 0).then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`codistill: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
