"""Interactive exploration of a trained model (notebook 11): type a sentence or a pair and
see the three tasks' answers, browse the worst dev errors, look at any attention head.

Each widget is a thin ipywidgets shell around a plain function that does the work and is
unit-tested on its own (``task_answers``, ``worst_errors``, ``attention_map``), so that a
reader of the static notebook (and nbval) sees the same output as one example printed
below each widget.

    task_answers    SST: softmax(logits) over the five classes; Quora: σ(logit), the
                    probability of "duplicate"; STS: the head's score on the 0-5 scale
    worst_errors    the errors of a prediction frame, worst first: STS by |residual|,
                    SST by how many classes away, then longest first; Quora longest first
                    (the stored predictions are classes, not probabilities)
    attention_map   the [T, T] attention probabilities of one layer and head (row i: where
                    token i looks), for one sentence or a cross-encoded pair
    sample_answers  ``task_answers`` and one ``attention_map`` for the course's sample
                    inputs, as plain data: stored as the ``cpu`` artefact ``final_answers``
                    so that a reader without the final model's weights still sees its answers
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.analysis import SST_NAMES
from bert_core.course.categories import CATEGORIES, categorise
from bert_core.multitask.examples import PairExample, SentimentExample
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.tasks import TASKS

__all__ = ["task_answers", "worst_errors", "attention_map", "sample_answers", "answers_widget",
           "errors_widget", "attention_widget", "SAMPLE_PAIR", "SAMPLE_ATTENTION"]

# The inputs whose answers a static page shows under each widget (notebook 11).
SAMPLE_PAIR = ("A gorgeous, witty, seductive movie.", "A beautiful and clever film.")
SAMPLE_ATTENTION = {"sentence": "The film is not bad at all.", "layer": 2, "head": 0}


@torch.inference_mode()
def task_answers(model: MultitaskBERT, tokenizer: Tokenizer, sentence: str, second: str = "") -> pd.DataFrame:
    """The model's answer for each of its tasks that the input fits: SST's class
    probabilities for ``sentence``; for a pair (``second`` not empty) also Quora's
    paraphrase probability and STS's score. One row per answer: task, answer, value."""
    if not sentence.strip():
        raise ValueError("type a sentence first")
    was_training = model.training
    model.eval()
    rows = []
    try:
        if "sst" in model.tasks:
            logits = model.task_outputs(tokenizer, "sst", [SentimentExample("typed", sentence, None)])
            for name, p in zip(SST_NAMES, torch.softmax(logits.float(), dim=-1)[0].tolist()):
                rows.append(("sst", name, p))
        if second.strip():
            pair = [PairExample("typed", sentence, second, None)]
            for task in model.tasks:
                kind = TASKS[task].kind
                if kind == "paraphrase":
                    logit = model.task_outputs(tokenizer, task, pair).float()
                    rows.append((task, "P(duplicate)", float(torch.sigmoid(logit).reshape(-1)[0])))
                elif kind == "similarity":
                    rows.append((task, "similarity (0-5)", float(model.task_outputs(tokenizer, task, pair)
                                                                 .float().reshape(-1)[0])))
    finally:
        model.train(was_training)
    return pd.DataFrame(rows, columns=["task", "answer", "value"])


def worst_errors(frame: pd.DataFrame, task: str, count: int = 10, true_class: int | None = None,
                 predicted_class: int | None = None, min_words: int = 0, max_words: int | None = None,
                 category: str | None = None) -> pd.DataFrame:
    """The errors of ``frame`` (``analysis.prediction_frame``) that pass the filters, worst
    first (see the module docstring), at most ``count``."""
    if category and category not in CATEGORIES[task]:
        raise ValueError(f"no category {category!r} for {task}; choose one of {list(CATEGORIES[task])}")
    errors = categorise(frame, task) if category else frame
    errors = errors[errors["error"] & (errors["words"] >= min_words)]
    if max_words is not None:
        errors = errors[errors["words"] <= max_words]
    if true_class is not None:
        errors = errors[errors["label"] == true_class]
    if predicted_class is not None:
        errors = errors[errors["prediction"] == predicted_class]
    if category:
        errors = errors[errors[category]]
    if "residual" in errors:
        badness = errors["residual"].abs().to_numpy()
    else:
        distance = (errors["prediction"] - errors["label"]).abs().to_numpy()
        badness = distance * 1000 + errors["words"].to_numpy()  # by distance, then by length
    order = np.argsort(-badness, kind="stable")
    shown = ("id", "sentence", "sentence1", "sentence2", "label", "prediction", "residual", "words")
    columns = [c for c in shown if c in errors]
    return errors.iloc[order][columns].head(count).reset_index(drop=True)


@torch.inference_mode()
def attention_map(model: MultitaskBERT, tokenizer: Tokenizer, sentence: str, second: str = "",
                  layer: int = 0, head: int = 0, task: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Layer ``layer``'s head ``head`` attention probabilities ``[T, T]`` for ``sentence``
    (with ``second`` as a cross-encoded pair), and the tokens; through ``task``'s adapters
    when the model has any."""
    config = model.bert.config
    if not 0 <= layer < config.num_hidden_layers or not 0 <= head < config.num_attention_heads:
        raise ValueError(f"layer must be in [0, {config.num_hidden_layers}) and head in "
                         f"[0, {config.num_attention_heads}); got {layer} and {head}")
    batch = tokenizer(sentence, second) if second.strip() else tokenizer(sentence)
    was_training = model.training
    model.eval()
    try:
        out = model.bert(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"],
                         output_attentions=True, adapters=model.adapters_for(task))
    finally:
        model.train(was_training)
    probs = out["attentions"][layer][0, head].float().numpy()  # (T, T)
    return probs, tokenizer.convert_ids_to_tokens(batch["input_ids"][0])


def sample_answers(model: MultitaskBERT, tokenizer: Tokenizer, pair: tuple[str, str] = SAMPLE_PAIR,
                   attention: Mapping[str, object] = SAMPLE_ATTENTION) -> dict:
    """The model's answers to ``pair`` (``task_answers`` as records) and its attention map
    for ``attention`` (a sentence, a layer, a head; the probabilities as nested lists, with
    the tokens): plain data for ``save_artefact``."""
    answers = task_answers(model, tokenizer, *pair)
    probs, tokens = attention_map(model, tokenizer, attention["sentence"], layer=attention["layer"],
                                  head=attention["head"])
    return {"pair": list(pair), "answers": answers.to_dict(orient="records"),
            "attention": {**attention, "tokens": tokens, "probs": probs.round(6).tolist()}}


def answers_widget(model: MultitaskBERT, tokenizer: Tokenizer, sentence: str = "", second: str = ""):
    """Two text boxes and the table of ``task_answers`` below them."""
    import ipywidgets as w

    return w.interactive(lambda sentence, second: _shown(task_answers(model, tokenizer, sentence, second)),
                         {"manual": True, "manual_name": "predict"},
                         sentence=w.Text(value=sentence, description="sentence"),
                         second=w.Text(value=second, description="second"))


def errors_widget(frames: Mapping[str, pd.DataFrame]):
    """Task, filters and count; the table of ``worst_errors`` below."""
    import ipywidgets as w

    def show(task: str, true_class: int, predicted_class: int, min_words: int, category: str, count: int):
        if category and category not in CATEGORIES[task]:
            print(f"{category!r} is a category of another task; {task}'s: {', '.join(CATEGORIES[task])}")
            return None
        return _shown(worst_errors(frames[task], task, count, None if true_class < 0 else true_class,
                                   None if predicted_class < 0 else predicted_class, min_words,
                                   category=category or None))

    categories = [""] + sorted({c for t in frames for c in CATEGORIES[t]})
    return w.interactive(show, task=list(frames),
                         true_class=w.IntSlider(-1, -1, 4, description="true (-1 any)"),
                         predicted_class=w.IntSlider(-1, -1, 4, description="pred. (-1 any)"),
                         min_words=w.IntSlider(0, 0, 60, description="min words"),
                         category=w.Dropdown(options=categories, description="category"),
                         count=w.IntSlider(10, 1, 50, description="rows"))


def attention_widget(model: MultitaskBERT, tokenizer: Tokenizer, sentence: str, second: str = ""):
    """Text boxes and layer and head sliders; the attention map below."""
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from bert_core.course.plots import plot_attention

    def show(sentence: str, second: str, layer: int, head: int) -> None:
        probs, tokens = attention_map(model, tokenizer, sentence, second, layer, head)
        plot_attention(probs, tokens, title=f"layer {layer}, head {head}")
        plt.show()

    config = model.bert.config
    return w.interactive(show, sentence=w.Text(value=sentence), second=w.Text(value=second),
                         layer=w.IntSlider(0, 0, config.num_hidden_layers - 1),
                         head=w.IntSlider(0, 0, config.num_attention_heads - 1))


def _shown(frame: pd.DataFrame) -> None:
    from IPython.display import display

    display(frame)
