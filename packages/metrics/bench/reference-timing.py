"""Times k4black/codebleu's calc_codebleu on the pairs given on stdin, each pair scored alone.

Usage: python3 reference-timing.py LANG REPETITIONS < pairs.json; prints {"median_s": ..., "median_cpu_s": ...}
(wall-clock and process CPU seconds of one pass over the pairs, medians of REPETITIONS passes).
The reference keeps nothing between calls, so every call is "from scratch".
Its "no reference data-flows" warnings are switched off (logging.disable), so the figure does not
depend on where stderr goes; the call to logging.warning itself still runs.
"""
import json
import logging
import sys
import time

from codebleu import calc_codebleu

logging.disable(logging.WARNING)

lang, repetitions = sys.argv[1], int(sys.argv[2])
pairs = json.load(sys.stdin)
calc_codebleu([pairs[0]["reference"]], [pairs[0]["hypothesis"]], lang)  # imports and first grammar load
seconds, cpu_seconds = [], []
for _ in range(repetitions):
    start, cpu_start = time.perf_counter(), time.process_time()
    for pair in pairs:
        calc_codebleu([pair["reference"]], [pair["hypothesis"]], lang)
    seconds.append(time.perf_counter() - start)
    cpu_seconds.append(time.process_time() - cpu_start)
median = lambda values: sorted(values)[len(values) // 2]
print(json.dumps({"median_s": median(seconds), "median_cpu_s": median(cpu_seconds)}))
