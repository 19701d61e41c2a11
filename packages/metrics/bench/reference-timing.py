"""Times k4black/codebleu on the pairs given on stdin, each pair scored alone.

Usage: python3 reference-timing.py LANG REPETITIONS [WORKLOAD] < pairs.json; prints
{"median_s": ..., "median_cpu_s": ..., "best_cpu_s": ...} (wall-clock and process CPU seconds of
one pass over the pairs, medians of REPETITIONS passes, and the least CPU seconds of a pass). WORKLOAD is `calc` (default: one calc_codebleu call per
pair) or `structural` (one corpus_syntax_match and one corpus_dataflow_match call per pair, the
texts unstripped, as the package's bench calls its own).
The reference keeps nothing between calls, so every call is "from scratch".
Its "no reference data-flows" warnings are switched off (logging.disable), so the figure does not
depend on where stderr goes; the call to logging.warning itself still runs.
"""
import json
import logging
import sys
import time

from codebleu import calc_codebleu
from codebleu.dataflow_match import corpus_dataflow_match
from codebleu.syntax_match import corpus_syntax_match

logging.disable(logging.WARNING)

lang, repetitions = sys.argv[1], int(sys.argv[2])
workload = sys.argv[3] if len(sys.argv) > 3 else "calc"
pairs = json.load(sys.stdin)


def calc(pair):
    calc_codebleu([pair["reference"]], [pair["hypothesis"]], lang)


def structural(pair):
    corpus_syntax_match([[pair["reference"]]], [pair["hypothesis"]], lang)
    corpus_dataflow_match([[pair["reference"]]], [pair["hypothesis"]], lang)


score = {"calc": calc, "structural": structural}[workload]
score(pairs[0])  # imports and first grammar load
seconds, cpu_seconds = [], []
for _ in range(repetitions):
    start, cpu_start = time.perf_counter(), time.process_time()
    for pair in pairs:
        score(pair)
    seconds.append(time.perf_counter() - start)
    cpu_seconds.append(time.process_time() - cpu_start)
median = lambda values: sorted(values)[len(values) // 2]
print(json.dumps({"median_s": median(seconds), "median_cpu_s": median(cpu_seconds), "best_cpu_s": min(cpu_seconds)}))
