# transformers' greedy continuations of a tiny Llama fixture, which test/generate.test.ts holds
# codistill's Generator to: each prompt alone, and all of them as one left-padded batch (the way
# `codistill eval` decodes). Needs torch and transformers (the repo's tests do not):
#
#   python3 scripts/greedy-reference.py > test/fixtures/tiny-llama/greedy-transformers.json
#   python3 scripts/greedy-reference.py tiny-llama-reppen > test/fixtures/tiny-llama-reppen/greedy-transformers.json
#
# tiny-llama-reppen is tiny-llama with repetition_penalty 1.3 in its generation_config.json, which
# generate() applies by default (RepetitionPenaltyLogitsProcessor), as Qwen2.5 ships 1.05.
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', sys.argv[1] if len(sys.argv) > 1 else 'tiny-llama')
PROMPTS = ['def is_monotonic(arr):\n', 'x = 1', 'for i in range(10):\n    print', 'def add(a, b):\n    return']
MAX_NEW_TOKENS = 16

tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(FIXTURE, 'tokenizer.json'))
model = AutoModelForCausalLM.from_pretrained(FIXTURE, dtype=torch.float32).eval()
# No stopping at the fixture's EOS (and no suppression of it either): every row runs MAX_NEW_TOKENS.
model.generation_config.eos_token_id = None
settings = dict(max_new_tokens=MAX_NEW_TOKENS, do_sample=False, pad_token_id=0)

prompt_ids = [tokenizer(p, add_special_tokens=False).input_ids for p in PROMPTS]
with torch.no_grad():
    alone = [model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), **settings)[0, len(ids):].tolist() for ids in prompt_ids]
    width = max(len(ids) for ids in prompt_ids)
    padded = torch.tensor([[0] * (width - len(ids)) + ids for ids in prompt_ids])
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompt_ids])
    batched = model.generate(padded, attention_mask=mask, **settings)[:, width:].tolist()

print(json.dumps({
    'transformers': transformers.__version__,
    'torch': torch.__version__,
    'max_new_tokens': MAX_NEW_TOKENS,
    # From the fixture's generation_config.json, when it sets one.
    **({'repetition_penalty': model.generation_config.repetition_penalty} if model.generation_config.repetition_penalty is not None else {}),
    'prompts': PROMPTS,
    'prompt_ids': prompt_ids,
    'alone': alone,
    'batched': batched,
}, indent=1))
