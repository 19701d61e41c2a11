import path from 'node:path';
import { loraShapes } from '@codistill/lora';
import { causalLmModules, Checkpoint, parseCausalLmConfig } from '@codistill/models';
import { trainFlagName, type TrainOptions } from './options.js';

/**
 * The run's LoRA settings against its model, as PEFT's LoraConfig and get_peft_model check them: a
 * target matching no module, or a module that is not an nn.Linear, is named with its setting and
 * flag before anything is read or written (the graph would otherwise be built without a LoRA tensor
 * to train, or the adapter saved with a target PEFT refuses to load).
 */
export function checkLoraTargets(o: TrainOptions): void {
  const checkpoint = new Checkpoint(o.model_name_or_path);
  const modules = causalLmModules(parseCausalLmConfig(checkpoint.config, path.join(checkpoint.dir, 'config.json')));
  loraShapes(o.lora, modules, (key) => `lora.${key} (--${trainFlagName(['lora', key])})`);
}
