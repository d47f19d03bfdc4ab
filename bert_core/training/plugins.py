"""The registry of training plug-ins: which extensions a config turns on, in the order
the loop calls them (``bert_core.training.hooks``).

An extension lives in its own module: its ``Extension`` subclass, a ``check(config)``
that validates the config fields it reads (``ExperimentConfig`` asks every registered
plug-in when it is made) and a ``build(config, model, train, seed)`` that returns the
extension, or None when the config leaves it off. Its fields stay in the one flat,
hashed ``ExperimentConfig`` (stored results are found by that hash). A new extension is
its module, its fields, and one line in ``PLUGINS``.

Order matters where two act at one point: the ranking loss replaces STS's source before
SMART wraps the sources that go through a head; balancing makes the terms, and fixed task
weights scale them, before SMART adds its penalties to them. EDA comes last: it wraps
whatever batch loss the others made (SMART's included), so that every one of them sees
the epoch's variants. At most one extension may own the backward pass (PCGrad); the
rules are written as data in ``ORDER`` and tested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training import balancing, eda, pcgrad, ranking, smart
from bert_core.training.config import ExperimentConfig
from bert_core.training.hooks import Extension

__all__ = ["Plugin", "PLUGINS", "ORDER", "check_config", "extensions_for", "owns_backward"]

# (config, the freshly built model, the training data, the run's seed) -> the extension or None
Factory = Callable[[ExperimentConfig, MultitaskBERT, Mapping[str, Sequence[Example]], int], Extension | None]


def _no_fields(config: ExperimentConfig) -> None:
    """For a plug-in whose fields need no check beyond their types."""


@dataclass(frozen=True)
class Plugin:
    """One extension in the registry: its name, its constructor and its config check."""

    name: str
    build: Factory
    check: Callable[[ExperimentConfig], None] = _no_fields


PLUGINS: tuple[Plugin, ...] = (
    Plugin("ranking", ranking.build, ranking.check),
    Plugin("balancing", balancing.build_balancing, balancing.check_balancing),
    Plugin("weights", balancing.build_weights, balancing.check_weights),
    Plugin("smart", smart.build, smart.check),
    Plugin("pcgrad", pcgrad.build, pcgrad.check),
    Plugin("eda", eda.build, eda.check),
)

# (earlier, later, why): the order rules of PLUGINS that the hooks rely on
ORDER = (
    ("ranking", "smart", "the ranking loss replaces STS's source; SMART then wraps those through a head"),
    ("balancing", "smart", "balancing makes the terms that SMART adds its penalties to"),
    ("weights", "smart", "fixed weights scale the task terms, not SMART's penalties"),
    ("smart", "eda", "EDA wraps every batch loss the others made, SMART's included"),
)


def check_config(config: ExperimentConfig) -> None:
    """Each registered plug-in checks the fields it reads (a ``ValueError`` naming the field)."""
    for plugin in PLUGINS:
        plugin.check(config)


def extensions_for(config: ExperimentConfig, model: MultitaskBERT,
                   train: Mapping[str, Sequence[Example]], seed: int = 0) -> list[Extension]:
    """The extensions ``config`` turns on, built for ``model``, its training data and the
    run's seed, in ``PLUGINS``' order. At most one may own the backward pass (override
    ``Extension.backward``): two would each back-propagate the same terms, so the run
    stops here, before training."""
    built = {plugin.name: plugin.build(config, model, train, seed) for plugin in PLUGINS}
    extensions = {name: extension for name, extension in built.items() if extension is not None}
    owners = [name for name, extension in extensions.items() if owns_backward(extension)]
    if len(owners) > 1:
        raise ValueError(f"{config.name}: the extensions {', '.join(owners)} each own the backward pass; "
                         "a run can have one of them: turn the others off in the config")
    return list(extensions.values())


def owns_backward(extension: Extension) -> bool:
    """Whether ``extension`` replaces the default backward pass (overrides ``backward``)."""
    return type(extension).backward is not Extension.backward
