#!/usr/bin/env bash
# Installs onnxruntime-node's CUDA execution provider (libonnxruntime_providers_cuda.so and its
# companions, for CUDA 12 + cuDNN 9) into the installed onnxruntime-node, from NuGet: needs network.
# Why not `pnpm rebuild onnxruntime-node`: pnpm runs dependency install scripts only when approved,
# so with the pinned pnpm that command does nothing. This runs onnxruntime-node's own install
# script directly with the CUDA flag.
set -euo pipefail
cd "$(dirname "$0")/../packages/graph"
ort="$(node -p "require('path').dirname(require.resolve('onnxruntime-node/package.json'))")"
ONNXRUNTIME_NODE_INSTALL=cuda12 node "$ort/script/install.js"
ls "$ort"/bin/napi-v6/linux/*/libonnxruntime_providers_cuda.so
