"""Checks that the k4black/codebleu build at hand reproduces the golden values before it is timed.

Usage: PYTHONHASHSEED=0 python reference-verify.py [LANG ...]   (default: all ten languages)
Scores every golden pair of test/fixtures/golden-dev[-LANG].jsonl with the three calls the
oracle made (corpus_syntax_match, corpus_dataflow_match, calc_codebleu) and compares them with
the stored seed-0 values. Prints one JSON line per language; exits 1 on any mismatch.
"""
import json
import logging
import os
import sys
from pathlib import Path

if os.environ.get("PYTHONHASHSEED") != "0":  # the golden values are the reference's at seed 0
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

from codebleu import calc_codebleu
from codebleu.dataflow_match import corpus_dataflow_match
from codebleu.syntax_match import corpus_syntax_match

logging.disable(logging.WARNING)  # "no reference data-flows" warnings
FIXTURES = Path(__file__).resolve().parent.parent / "test" / "fixtures"
LANGUAGES = ["java", "javascript", "c_sharp", "php", "c", "cpp", "python", "go", "ruby", "rust"]


def close(a, b):
    return abs(a - b) <= 1e-12


failed = False
for lang in sys.argv[1:] or LANGUAGES:
    file = FIXTURES / ("golden-dev.jsonl" if lang == "python" else f"golden-dev-{lang}.jsonl")
    pairs = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    mismatches = []
    for pair in pairs:
        ref, hyp = pair["reference"], pair["hypothesis"]
        got = {
            "syntax_match": corpus_syntax_match([[ref]], [hyp], lang),
            "dataflow_match": corpus_dataflow_match([[ref]], [hyp], lang),
            **{f"calc_codebleu.{k}": v for k, v in calc_codebleu([ref], [hyp], lang).items()},
        }
        want = {
            "syntax_match": pair["syntax_match"],
            "dataflow_match": pair["dataflow_match"],
            **{f"calc_codebleu.{k}": v for k, v in pair["calc_codebleu"].items()},
        }
        bad = {k: [got.get(k), v] for k, v in want.items() if k not in got or not close(got[k], v)}
        if bad:
            mismatches.append({"id": pair["id"], "got_vs_golden": bad})
    failed = failed or bool(mismatches)
    print(json.dumps({"lang": lang, "pairs": len(pairs), "matching": len(pairs) - len(mismatches), "mismatches": mismatches[:5]}))
sys.exit(1 if failed else 0)
