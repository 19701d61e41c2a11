"""How much of the reference's time its parser takes, per language, on the golden pairs.

Usage: python3 reference-parse-timing.py [LANG ...] under the interpreter that runs the reference
(see README "Reproducing the reference"); prints one JSON line per language with µs per pair of
CPU time, the least of REPETITIONS passes: `parse` is py-tree-sitter's native parse (C at -O3)
of both comment-stripped texts, once, as the package parses them. The reference's
corpus_syntax_match and corpus_dataflow_match each parse both texts, so its syntax + data-flow
match (`structural`) and its calc_codebleu (`calc`) hold two such parses.
"""
import json
import logging
import pathlib
import sys
import time

from tree_sitter import Parser

from codebleu import calc_codebleu
from codebleu.dataflow_match import corpus_dataflow_match
from codebleu.parser import remove_comments_and_docstrings
from codebleu.syntax_match import corpus_syntax_match
from codebleu.utils import get_tree_sitter_language

logging.disable(logging.WARNING)
REPETITIONS = 15
FIXTURES = pathlib.Path(__file__).parent.parent / "test" / "fixtures"
LANGUAGES = sys.argv[1:] or ["java", "javascript", "c_sharp", "php", "c", "cpp", "python", "go", "ruby", "rust"]


def least_micros_per_pair(pairs, run):
    run()
    least = min(timed(run) for _ in range(REPETITIONS))
    return round(least * 1e6 / len(pairs), 1)


def timed(run):
    start = time.process_time()
    run()
    return time.process_time() - start


def cleaned(text, lang):
    try:
        return remove_comments_and_docstrings(text, lang)
    except Exception:
        return text


for lang in LANGUAGES:
    name = "golden-dev.jsonl" if lang == "python" else f"golden-dev-{lang}.jsonl"
    pairs = [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]
    parser = Parser()
    parser.language = get_tree_sitter_language(lang)
    texts = [bytes(cleaned(text.strip(), lang), "utf8") for pair in pairs for text in (pair["reference"], pair["hypothesis"])]
    figures = {
        "parse": least_micros_per_pair(pairs, lambda: [parser.parse(text) for text in texts]),
        "structural": least_micros_per_pair(pairs, lambda: [
            (corpus_syntax_match([[pair["reference"]]], [pair["hypothesis"]], lang),
             corpus_dataflow_match([[pair["reference"]]], [pair["hypothesis"]], lang))
            for pair in pairs
        ]),
        "calc": least_micros_per_pair(pairs, lambda: [calc_codebleu([pair["reference"]], [pair["hypothesis"]], lang) for pair in pairs]),
    }
    print(json.dumps({"bench": "reference_us_per_pair", "lang": lang, "pairs": len(pairs), **figures}))
