import { requireProvider } from '@codistill/graph';
import { loadGeneratorWithAdapter } from '@codistill/lora';
import { parseCausalLmConfig } from '@codistill/models';
import type { Command } from 'commander';
import { deviceOptions, type DeviceFlags } from './device-flags.js';
import { FLAG_RANGES, numberFlag } from './flag-values.js';
import { adapterRevisionOption, checkAdapterRevision, checkRevision, revisionOption } from './model-flags.js';

interface GenerateFlags extends DeviceFlags {
  model: string;
  revision?: string;
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topP?: number;
  topK?: number;
  seed?: number;
  repetitionPenalty?: number;
  adapter?: string;
  adapterRevision?: string;
  chat?: boolean;
  threads?: number;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('generate')
    .description('continue a prompt with a Hugging Face causal LM (folder or Hub id) through ONNX Runtime')
    .requiredOption('--model <dir|hub id>', "checkpoint folder or Hub model id (HF_TOKEN or `hf auth login`'s token, HF_HUB_OFFLINE honoured)");
  revisionOption(command)
    .requiredOption('--prompt <text>', 'prompt text')
    .option('--max-new-tokens <n>', 'tokens to generate at most', numberFlag(FLAG_RANGES.tokens), 64)
    .option('--temperature <t>', '0 = greedy', numberFlag(FLAG_RANGES.temperature), 0)
    .option('--top-p <p>', 'nucleus sampling mass', numberFlag(FLAG_RANGES.topP))
    .option('--top-k <k>', 'sample among the k most likely tokens (0 = all)', numberFlag(FLAG_RANGES.topK))
    .option('--seed <n>', 'sampling seed', numberFlag(FLAG_RANGES.seed))
    .option('--repetition-penalty <p>', "transformers' repetition_penalty: above 1 makes tokens already in the text less likely, 1 = none (default: the model's generation_config.json, else 1)", numberFlag(FLAG_RANGES.repetitionPenalty))
    .option('--adapter <dir|hub id>', 'LoRA adapter (PEFT format)');
  adapterRevisionOption(command)
    .option('--chat', "wrap the prompt as a user message in the tokenizer's chat template")
    .option('--threads <n>', 'ONNX Runtime intra-op threads', numberFlag(FLAG_RANGES.parallelism));
  deviceOptions(command)
    .option('--json', 'print one JSON object: text, token_ids, logprobs, tokens_per_s')
    .action(async (o: GenerateFlags) => {
      checkRevision(o.model, o.revision);
      checkAdapterRevision(o.adapter, o.adapterRevision);
      await requireProvider(o.device, '--device');
      const { tokenizer, generator, checkpoint } = await loadGeneratorWithAdapter(o.model, { revision: o.revision, adapter: o.adapter, adapterRevision: o.adapterRevision, threads: o.threads, provider: o.device, allowCpuFallback: o.allowCpuFallback });
      const prompt = o.chat ? tokenizer.applyChatTemplate([{ role: 'user', content: o.prompt }]) : o.prompt;
      // As transformers warns: positions past the model's were never trained (serve refuses such requests).
      const positions = parseCausalLmConfig(checkpoint.config).maxPositions;
      const enc = tokenizer.encodeBatch([prompt], { addSpecialTokens: !o.chat }); // a chat template writes its own BOS
      const promptTokens = enc.inputIds.dims[1];
      if (promptTokens + o.maxNewTokens > positions) {
        console.error(`codistill: warning: the prompt's ${promptTokens} tokens and up to ${o.maxNewTokens} new ones (--max-new-tokens) pass the model's ${positions} positions (max_position_embeddings); what is generated past them degrades`);
      }
      const r = await generator.generate(enc.inputIds, enc.attentionMask, {
        tokenizer,
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK,
        seed: o.seed,
        repetitionPenalty: o.repetitionPenalty,
      });
      await generator.release();
      const text = r.texts![0];
      const tokensPerS = r.tokenIds[0].length / ((r.prefillMs + r.decodeMs) / 1000);
      if (o.json) console.log(JSON.stringify({ text, token_ids: r.tokenIds[0], logprobs: r.logprobs[0], tokens_per_s: tokensPerS }));
      else console.log(text);
    });
}
