"""The registry of training plug-ins: which extensions a config turns on, in the order
the loop calls them (``bert_core.training.hooks``).

Order matters where two act at one point: the ranking loss replaces STS's source before
SMART wraps the sources that go through a head; balancing makes the terms, and fixed task
weights scale them, before SMART adds its penalties to them. EDA comes last: it wraps
whatever batch loss the others made (SMART's included), so that every one of them sees
the epoch's variants. A new extension is its module plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.balancing import LossBalancing, TaskWeights
from bert_core.training.config import ExperimentConfig
from bert_core.training.eda import EdaAugmentation, Synonyms
from bert_core.training.hooks import Extension
from bert_core.training.pcgrad import SurgeryExtension
from bert_core.training.ranking import RankingLoss
from bert_core.training.smart import SmartExtension

__all__ = ["PLUGINS", "extensions_for", "owns_backward", "synonyms_for"]

# (config, the freshly built model, the training data, the run's seed) -> the extension or None
Factory = Callable[[ExperimentConfig, MultitaskBERT, Mapping[str, Sequence[Example]], int], Extension | None]

PLUGINS: dict[str, Factory] = {
    "ranking": lambda config, model, train, seed: (
        RankingLoss(config.name, train["sts"], config.ranking_epochs) if config.ranking_epochs else None),
    "balancing": lambda config, model, train, seed: (
        LossBalancing(config.loss_balancing, config.tasks, config.dwa_temperature, config.dwa_window)
        if config.loss_balancing != "sum" else None),
    "weights": lambda config, model, train, seed: (
        TaskWeights(dict(config.task_weights)) if config.task_weights else None),
    "smart": lambda config, model, train, seed: (
        SmartExtension(model, config.smart_settings, seed) if config.smart_settings else None),
    "pcgrad": lambda config, model, train, seed: SurgeryExtension(model) if config.pcgrad else None,
    "eda": lambda config, model, train, seed: (
        EdaAugmentation(synonyms_for(config, model), seed, config.eda_alpha, config.eda_share)
        if config.eda_alpha else None),
}


def synonyms_for(config: ExperimentConfig, model: MultitaskBERT) -> Synonyms:
    """EDA's synonyms in the space of ``model``'s input word embeddings as built (the
    checkpoint's: the factories run before any training or resumed checkpoint)."""
    vocab = Tokenizer.from_pretrained(config.checkpoint).vocab
    return Synonyms(vocab, model.bert.embeddings.word_embedding.weight)


def extensions_for(config: ExperimentConfig, model: MultitaskBERT,
                   train: Mapping[str, Sequence[Example]], seed: int = 0) -> list[Extension]:
    """The extensions ``config`` turns on, built for ``model``, its training data and the
    run's seed. At most one may own the backward pass (override ``Extension.backward``):
    two would each back-propagate the same terms, so the run stops here, before training."""
    built = {name: make(config, model, train, seed) for name, make in PLUGINS.items()}
    extensions = {name: extension for name, extension in built.items() if extension is not None}
    owners = [name for name, extension in extensions.items() if owns_backward(extension)]
    if len(owners) > 1:
        raise ValueError(f"{config.name}: the extensions {', '.join(owners)} each own the backward pass; "
                         "a run can have one of them: turn the others off in the config")
    return list(extensions.values())


def owns_backward(extension: Extension) -> bool:
    """Whether ``extension`` replaces the default backward pass (overrides ``backward``)."""
    return type(extension).backward is not Extension.backward
