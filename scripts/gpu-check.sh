#!/usr/bin/env bash
# The prepared GPU check for a machine with an NVIDIA GPU (any GPU with a Vulkan driver works for
# the WebGPU part): providers and placement, one LoRA training step and greedy decoding of a random
# ~1B-parameter Llama on each provider present (cpu, webgpu, cuda), each compared with the CPU's,
# one step of the paper preset's combination (float16, structural loss, chunked cross-entropy of 256
# rows, layer recomputation) against the CPU's, tokens/s and peak device memory, as JSON lines.
# Under 10 minutes; installs and downloads nothing, so run it from a checkout whose dependencies
# are installed (`npx -y pnpm@10.34.9 install`; for CUDA see the root README). Env: SHAPE=tiny for
# a smoke run, T, QUERY_BLOCKS, NEW_TOKENS, THREADS, CODEBERT (a CodeBERT folder for the preset
# step; default the tiny test fixture).
set -euo pipefail
cd "$(dirname "$0")/.."
tsx=node_modules/.bin/tsx
[ -x "$tsx" ] || { echo "gpu-check: $tsx not found: install the dependencies first (npx -y pnpm@10.34.9 install)" >&2; exit 1; }
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /' >&2
"$tsx" apps/trainer/src/cli.ts doctor >&2 || true
cd packages/train
exec "../../$tsx" bench/gpu-check.ts
