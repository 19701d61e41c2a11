"""Times k4black/codebleu's calc_codebleu on the pairs given on stdin, each pair scored alone.

Usage: python3 reference-timing.py LANG REPETITIONS < pairs.json; prints {"median_s": ...}.
The reference keeps nothing between calls, so every call is "from scratch".
"""
import json
import sys
import time

from codebleu import calc_codebleu

lang, repetitions = sys.argv[1], int(sys.argv[2])
pairs = json.load(sys.stdin)
calc_codebleu([pairs[0]["reference"]], [pairs[0]["hypothesis"]], lang)  # imports and first grammar load
seconds = []
for _ in range(repetitions):
    start = time.perf_counter()
    for pair in pairs:
        calc_codebleu([pair["reference"]], [pair["hypothesis"]], lang)
    seconds.append(time.perf_counter() - start)
print(json.dumps({"median_s": sorted(seconds)[len(seconds) // 2]}))
