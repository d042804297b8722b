"""The generated corpus: zero wrong automatic decisions, and auto for the clean cases.

Figures are printed (run with ``-s`` to see them); MISSIVE_CORPUS_SEEDS=n runs n extra seeds.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from core.clinical.matching import PatientIndex
from tests.clinical.corpus import make_corpus

SEEDS = [20261128, 7] + list(range(100, 100 + int(os.environ.get("MISSIVE_CORPUS_SEEDS", "0"))))


@pytest.mark.parametrize("seed", SEEDS)
def test_corpus_has_no_wrong_auto_and_autos_clean_cases(seed: int) -> None:
    corpus = make_corpus(n_patients=3000, n_cases=1500, seed=seed)
    index = PatientIndex(corpus.patients)
    wrong: list[str] = []
    forbidden: list[str] = []
    clean = clean_auto = 0
    decisions: Counter[tuple[str, str]] = Counter()
    for case in corpus.cases:
        result = index.match(case.identity)
        decisions[(case.kind, result.decision)] += 1
        if result.decision == "auto" and result.patient_id != case.truth:
            wrong.append(f"{case.kind}: auto to {result.patient_id}, truth {case.truth}")
        if case.forbid_auto and result.decision == "auto":
            forbidden.append(f"{case.kind}: auto to {result.patient_id}")
        if case.clean:
            clean += 1
            clean_auto += result.decision == "auto" and result.patient_id == case.truth
    kinds = {k for k, _ in decisions}
    rate = clean_auto / clean
    print(
        f"\ncorpus seed {seed}: {len(corpus.patients)} patients, {len(corpus.cases)} results, "
        f"wrong auto {len(wrong)}, auto on clean cases {clean_auto}/{clean} = {rate:.1%}"
    )
    for kind in sorted(kinds):
        print(f"  {kind:16} " + " ".join(f"{d}={decisions[(kind, d)]}" for d in ("auto", "review", "new")))
    # Every situation of issue 3 is present in the corpus.
    assert kinds >= {
        "exact",
        "ins",
        "married",
        "ep",
        "nee",
        "composite",
        "twin",
        "parent-nir",
        "homonym",
        "partial-twin",
        "swapped",
        "year",
        "sex",
        "nir-only",
        "used-unrelated",
        "typo",
        "absent",
        "absent-relative",
    }
    assert len(corpus.cases) >= 1000 and clean >= 500
    assert wrong == [], wrong[:10]
    assert forbidden == [], forbidden[:10]
    assert rate >= 0.95
