"""The intent classifier: nearest example questions by cosine, driven by the intents file, cached on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from agents.copilot.classifier import IntentClassifier, cache_file
from agents.copilot.compose import check_intents
from agents.copilot.intents import load_intents
from agents.copilot.word_vectors import HashedWordEmbedder
from core.config_errors import ConfigError
from core.config_files import shipped_policy
from knowledge_base.minilm import MiniLM
from tests.unit.copilot_paraphrases import PARAPHRASES

#: What each embedder reaches on the paraphrase table (measured: MiniLM 43 of 45, hashed words 32 of 45).
MINILM_FLOOR = 0.9
HASHED_WORDS_FLOOR = 0.7


class CountingEmbedder:
    """The hashed-word embedder, counting the texts it was asked to embed."""

    def __init__(self) -> None:
        self.inner = HashedWordEmbedder()
        self.name, self.dimensions = self.inner.name, self.inner.dimensions
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed(texts)


def accuracy(classifier: IntentClassifier) -> tuple[float, list[tuple[str, str, str]]]:
    found = classifier.classify_many([q for q, _ in PARAPHRASES])
    misses = [(q, want, got.intent) for (q, want), got in zip(PARAPHRASES, found, strict=True) if got.intent != want]
    return 1 - len(misses) / len(PARAPHRASES), misses


def test_the_shipped_intents_load_with_a_composer_and_template_each() -> None:
    loaded = load_intents()
    check_intents(loaded.intents)
    assert len(loaded.intents.intents) >= 12
    assert sum(len(i.examples) for i in loaded.intents.intents) >= 80


@pytest.fixture(scope="module")
def minilm_classifier() -> IntentClassifier:
    return IntentClassifier(load_intents(), MiniLM())


def test_paraphrases_reach_their_intent_with_the_offline_sentence_model(minilm_classifier: IntentClassifier) -> None:
    rate, misses = accuracy(minilm_classifier)
    print(f"all-MiniLM-L6-v2 accuracy {rate:.0%} on {len(PARAPHRASES)} paraphrases; misses: {misses}")
    assert rate >= MINILM_FLOOR, misses


def test_off_topic_questions_fall_below_the_threshold_with_the_sentence_model(
    minilm_classifier: IntentClassifier,
) -> None:
    for question in ("What's the capital of France?", "Tell me a joke", "Quarterly weather in Lisbon"):
        found = minilm_classifier.classify(question)
        assert found.fell_back and found.intent == "what_did_they_say", question


def test_paraphrases_reach_their_intent_with_the_hashed_word_embedder() -> None:
    rate, misses = accuracy(IntentClassifier(load_intents(), HashedWordEmbedder()))
    print(f"hashed-words accuracy {rate:.0%} on {len(PARAPHRASES)} paraphrases; misses: {misses}")
    assert rate >= HASHED_WORDS_FLOOR, misses


def test_a_question_far_from_every_example_gets_the_fallback() -> None:
    found = IntentClassifier(load_intents(), HashedWordEmbedder()).classify("Quarterly weather in Lisbon")
    assert found.fell_back and found.intent == "what_did_they_say"


@pytest.mark.parametrize("embedder", [HashedWordEmbedder, MiniLM])
def test_another_intents_file_changes_the_choice(tmp_path: Path, embedder: type) -> None:
    """The same code, another file: the examples decide, not the code."""
    question = "Who is our champion there?"
    shipped = IntentClassifier(load_intents(), embedder())
    assert shipped.classify(question).intent == "champion_engaged"
    text = shipped_policy("copilot_intents.yaml").read_text(encoding="utf-8")
    text = (
        text.replace("      - Who is the champion?\n", "")
        .replace(
            "      - Who are the stakeholders?\n",
            "      - Who are the stakeholders?\n      - Who is our champion there?\n",
        )
        .replace("      - Who is our champion there, and are they still engaged?\n", "")
    )
    edited = tmp_path / "copilot_intents.yaml"
    edited.write_text(text, encoding="utf-8")
    assert IntentClassifier(load_intents(edited), embedder()).classify(question).intent == "stakeholders"


def test_the_example_matrix_is_computed_once_and_kept_by_embedder_and_file(tmp_path: Path) -> None:
    loaded = load_intents()
    first = CountingEmbedder()
    IntentClassifier(loaded, first, cache_dir=tmp_path)
    examples = sum(len(i.examples) for i in loaded.intents.intents)
    assert first.embedded == examples
    assert cache_file(tmp_path, first.name, loaded.digest).exists()
    second = CountingEmbedder()
    warm = IntentClassifier(loaded, second, cache_dir=tmp_path)
    assert second.embedded == 0
    assert warm.classify("Who is the champion?").intent == "champion_engaged"
    assert second.embedded == 1


def test_an_intent_naming_an_unknown_tool_is_named_by_key(tmp_path: Path) -> None:
    text = shipped_policy("copilot_intents.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "copilot_intents.yaml"
    bad.write_text(text.replace("tools: [usage_trend]", "tools: [usage_trendz]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"intents\[usage_trend\]\.tools: .*unknown tool usage_trendz"):
        load_intents(bad)
