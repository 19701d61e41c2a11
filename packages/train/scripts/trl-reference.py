# TRL's SFTTrainer + PEFT training the tiny Llama fixture's LoRA adapter for a few steps on
# test/fixtures/trl-sft/<format>/train.jsonl, for TRL's {"text"} and {"prompt", "completion"}
# formats: the adapter it ends with, the token ids and loss mask it trained on and its per-step
# log, which test/trl-parity.test.ts holds `train` to. Both start from the same adapter (lora's PEFT
# fixture: r=4, alpha=8, q_proj and v_proj, dropout 0), so no initialisation differs. Needs torch,
# transformers, peft and trl (the repo's tests do not):
#
#   python3 scripts/trl-reference.py
import json
import os
import shutil
import tempfile

import peft
import torch
import transformers
import trl
from datasets import Dataset
from peft import PeftModel
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
from trl import SFTConfig, SFTTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_LLAMA = os.path.join(HERE, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama')
ADAPTER = os.path.join(HERE, '..', '..', 'lora', 'test', 'fixtures', 'peft-adapter')
FIXTURES = os.path.join(HERE, '..', 'test', 'fixtures', 'trl-sft')
# The prompt-completion run warms up over two of its four steps (the first at learning rate 0, as
# transformers' schedules start); the text run has none.
FORMATS = {'text': {}, 'prompt-completion': {'warmup_steps': 2}}
# The fixture's tokenizer.json names its special tokens but it has no tokenizer_config.json:
# the test writes one with these beside a copy of the model.
SPECIAL = {'bos_token': '<s>', 'eos_token': '</s>', 'pad_token': '<pad>'}
SETTINGS = {
    'learning_rate': 1e-2,
    'lr_scheduler_type': 'linear',
    'warmup_steps': 0,
    'max_grad_norm': 1.0,
    'weight_decay': 0.0,
    'adam_beta1': 0.9,
    'adam_beta2': 0.999,
    'adam_epsilon': 1e-8,
    'per_device_train_batch_size': 3,
    'gradient_accumulation_steps': 1,
    'max_steps': 4,
    'max_length': 128,
}


def reference(fixture, overrides):
    settings = {**SETTINGS, **overrides}
    torch.manual_seed(0)
    rows = [json.loads(line) for line in open(os.path.join(fixture, 'train.jsonl'))]
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(TINY_LLAMA, 'tokenizer.json'), **SPECIAL)
    base = AutoModelForCausalLM.from_pretrained(TINY_LLAMA, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, ADAPTER, is_trainable=True)
    out = tempfile.mkdtemp()
    config = SFTConfig(
        output_dir=out,
        optim='adamw_torch',
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        packing=False,
        logging_steps=1,
        save_strategy='no',
        report_to=[],
        seed=0,
        use_cpu=True,
        dataloader_drop_last=False,
        **settings,
    )
    dataset = Dataset.from_list([{k: v for k, v in r.items() if k != 'id'} for r in rows])
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    # What it trains on: the ids (EOS appended) and which of them are in the loss (TRL's labels, -100 = not).
    data = trainer.train_dataset
    tokenized = [list(map(int, ids)) for ids in data['input_ids']]
    in_loss = [[int(label != -100) for label in labels] for labels in data['labels']]
    trainer.train()
    model.save_pretrained(out)
    shutil.copy(os.path.join(out, 'adapter_model.safetensors'), os.path.join(fixture, 'adapter_model.safetensors'))
    # PEFT records the base model's path as given, here this machine's absolute path: the fixture names none.
    with open(os.path.join(out, 'adapter_config.json')) as f:
        adapter_config = json.load(f)
    adapter_config['base_model_name_or_path'] = None
    with open(os.path.join(fixture, 'adapter_config.json'), 'w') as f:
        json.dump(adapter_config, f, indent=2, sort_keys=True)
        f.write('\n')
    log = [h for h in trainer.state.log_history if 'loss' in h]
    with open(os.path.join(fixture, 'reference.json'), 'w') as f:
        json.dump({
            'versions': {'torch': torch.__version__, 'transformers': transformers.__version__, 'peft': peft.__version__, 'trl': trl.__version__},
            'special_tokens': SPECIAL,
            'settings': settings,
            'input_ids': tokenized,
            'in_loss': in_loss,
            'steps': [{'loss': h['loss'], 'grad_norm': h['grad_norm'], 'learning_rate': h['learning_rate']} for h in log],
        }, f, indent=1)
        f.write('\n')
    shutil.rmtree(out)


for name, overrides in FORMATS.items():
    reference(os.path.join(FIXTURES, name), overrides)
