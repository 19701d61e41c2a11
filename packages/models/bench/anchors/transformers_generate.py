"""transformers' greedy decoding on the shape and work of bench/generate.bench.ts: a random 58 M Llama
(hidden 512, 8 layers, 8 heads, MLP 1376, vocab 32000), 64 new tokens after a 64-token prompt, batch 1,
one warm-up call, then the whole generate call timed. Prints one JSON line."""
import json, os, resource, time
import torch, transformers as tf

torch.manual_seed(0)
torch.set_num_threads(int(os.environ.get("THREADS", "2")))
PROMPT, NEW, RUNS = 64, 64, int(os.environ.get("RUNS", "3"))
shape = dict(vocab_size=32000, hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8,
             num_key_value_heads=8, max_position_embeddings=2048, rms_norm_eps=1e-6, tie_word_embeddings=False)
model = tf.LlamaForCausalLM(tf.LlamaConfig(**shape)).float().eval()
prompt = torch.randint(0, shape["vocab_size"], (1, PROMPT))
best = float("inf")
with torch.no_grad():
    model.generate(prompt, max_new_tokens=4, do_sample=False)
    for _ in range(RUNS):
        t = time.perf_counter()
        model.generate(prompt, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)
        best = min(best, time.perf_counter() - t)
print(json.dumps({"engine": f"transformers {tf.__version__}, torch {torch.__version__}", "decode_tokens_per_s": NEW / best,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": torch.get_num_threads()}))
