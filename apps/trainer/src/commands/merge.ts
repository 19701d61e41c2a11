import fs from 'node:fs';
import type { Command } from 'commander';
import { loadAdapter, mergeAdapter, resolveAdapter } from '@codistill/lora';
import { resolveModel } from '@codistill/models';
import { adapterRevisionOption, checkAdapterRevision, checkRevision, revisionOption } from './model-flags.js';

export function register(program: Command): void {
  const command = program
    .command('merge')
    .description("fold a LoRA adapter into its base model (PEFT's merge_and_unload + save_pretrained): a full checkpoint transformers and codistill load without PEFT")
    .requiredOption('--model <dir|hub id>', 'the base checkpoint the adapter was trained on');
  revisionOption(command)
    .requiredOption('--adapter <dir|hub id>', 'the adapter (adapter_config.json + adapter_model.safetensors)');
  adapterRevisionOption(command)
    .requiredOption('--out <dir>', 'where the merged checkpoint goes (safetensors, config and tokenizer files): a new or empty folder')
    .action(async (f: { model: string; revision?: string; adapter: string; adapterRevision?: string; out: string }) => {
      if (fs.existsSync(f.out) && fs.readdirSync(f.out).length) throw new Error(`--out ${f.out} is not empty: merge writes a whole checkpoint into a new folder`);
      checkRevision(f.model, f.revision);
      checkAdapterRevision(f.adapter, f.adapterRevision);
      const model = await resolveModel(f.model, { revision: f.revision });
      const adapter = await resolveAdapter(f.adapter, { revision: f.adapterRevision });
      mergeAdapter(model, loadAdapter(adapter), f.out);
      console.log(JSON.stringify({ merged: f.out, model, adapter }));
    });
}
