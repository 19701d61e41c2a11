"""Times k4black/codebleu on golden pairs, one pass at a time, for bench/codebleu.bench.ts.

Usage: python3 reference-timing.py LANG, then on stdin: the pairs as one JSON line, then one
workload name per line. For each name it scores every pair once, each pair alone, and prints
{"s": ..., "cpu_s": ...} (wall-clock and process CPU seconds of the pass) on a line of its own.
The bench interleaves these passes with its own, so that both sides of each ratio are timed in
the same seconds of a shared machine. Workloads: `calc` (one calc_codebleu call per pair) and
`structural` (one corpus_syntax_match and one corpus_dataflow_match call per pair, the texts
unstripped, as the package's bench calls its own).
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

lang = sys.argv[1]
pairs = json.loads(sys.stdin.readline())


def calc(pair):
    calc_codebleu([pair["reference"]], [pair["hypothesis"]], lang)


def structural(pair):
    corpus_syntax_match([[pair["reference"]]], [pair["hypothesis"]], lang)
    corpus_dataflow_match([[pair["reference"]]], [pair["hypothesis"]], lang)


workloads = {"calc": calc, "structural": structural}
for score in workloads.values():
    score(pairs[0])  # imports and the grammar's first load
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    score = workloads[line.strip()]
    start, cpu_start = time.perf_counter(), time.process_time()
    for pair in pairs:
        score(pair)
    print(json.dumps({"s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu_start}), flush=True)
