import path from 'node:path';
import { loraShapes } from '@codistill/lora';
import { causalLmModules, Checkpoint, parseCausalLmConfig, type ModelModule } from '@codistill/models';
import { trainFlagName, type TrainOptions } from './options.js';

/**
 * The run's LoRA settings against its model, as PEFT's LoraConfig and get_peft_model check them: a
 * target matching no module, or a module that is not an nn.Linear, is named with its setting and
 * flag before anything is read or written (the graph would otherwise be built without a LoRA tensor
 * to train, or the adapter saved with a target PEFT refuses to load).
 */
export function checkLoraTargets(o: TrainOptions, modules: ModelModule[]): void {
  loraShapes(o.lora, modules, (key) => `lora.${key} (--${trainFlagName(['lora', key])})`);
}

/** The run's model's modules, from its config (its checkpoint opened, so that a folder that is not one fails here). */
export function modelModules(o: TrainOptions): ModelModule[] {
  const checkpoint = new Checkpoint(o.model_name_or_path);
  return causalLmModules(parseCausalLmConfig(checkpoint.config, path.join(checkpoint.dir, 'config.json')));
}
