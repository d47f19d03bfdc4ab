# ---
# jupyter:
#   jupytext:
#     formats: notebooks///ipynb,notebooks///py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · Solutions to the exercises
#
# Worked solutions to the exercises of notebook 12 (augmentation and extra data).
# Exercise 2 trains one seed of a new row (`bert_core.experiments.exercises`; in `cpu`
# stored in `results/cpu/` and loaded in a second; to train it yourself:
# `python -m bert_core.experiments.exercises eda-every-sentence --profile cpu`, about 9
# minutes on two cores); the others compute on the checkpoint's synonyms and the SST
# training sentences. Exercise 4 needs a download this page cannot make. Try each
# exercise first; then compare.

# %%
# Set-up for a fresh cloud kernel (Colab, a rented GPU): where the course is not installed,
# this installs it (bert_core.course.cloud explains how); where it is, it does nothing.
import importlib.util

if importlib.util.find_spec("bert_core") is None:
    import os
    import subprocess
    import sys

    source = os.environ.get("BERT_CORE_SOURCE", "")  # a git address, or a folder with the course
    if not source:
        raise RuntimeError("bert_core is not installed in this kernel: set os.environ['BERT_CORE_SOURCE'] to "
                           "the course's git address (or a folder that holds it) and run this cell again")
    if not os.path.isdir(source):
        subprocess.run(["git", "clone", "--depth", "1", source, "multitask-minbert"], check=True)
        source = "multitask-minbert"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", source], check=True)
    sys.path.insert(0, os.path.abspath(source))  # the kernel started before the install
    os.environ["BERT_CORE_FRESH_KERNEL"] = "1"
from bert_core.course.cloud import prepare

prepare()

# %%
import random
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.describe import token_lengths
from bert_core.course.notebook import setup
from bert_core.course.significance import compared_table
from bert_core.experiments import run_experiment
from bert_core.experiments.exercises import exercise
from bert_core.experiments.grid import table
from bert_core.multitask import data
from bert_core.multitask.extra import extra_file, load_extra
from bert_core.training import eda
from bert_core.training.paraphrases import fill_cache, read_cache

profile = setup(seed=0)
warnings.simplefilter("ignore", data.DataWarning)
print(profile)
committed = table("12").committed()  # the committed cpu runs of notebook 12, every seed
tokenizer = Tokenizer.from_pretrained("minilm-l6")
synonyms = eda.Synonyms(tokenizer.vocab, BertModel.from_pretrained("minilm-l6").embeddings.word_embedding.weight)
POSITIVE = ("good great excellent wonderful brilliant funny beautiful enjoyable entertaining clever charming "
            "moving fresh best love smart strong").split()  # notebook 12's lexicon
NEGATIVE = ("bad terrible awful boring dull stupid ugly poor worst hate weak silly tedious mediocre annoying "
            "disappointing").split()

# %% [markdown]
# ## 1. Synonyms that do not cross polarity
#
# The filter: a `Synonyms` whose `of` drops every synonym on the other side of the
# lexicon. Before re-running `eda-strong` with it, count how much it can change: how many
# crossings there are, and how many SST training sentences hold a word that has one.

# %%
# NBVAL_CHECK_OUTPUT
class NoCrossing(eda.Synonyms):
    """Synonyms without the polarity lexicon's crossings (``polarity_swaps``)."""

    def _of(self, word: str) -> tuple[str, ...]:
        other = set(NEGATIVE) if word.lower() in POSITIVE else set(POSITIVE) if word.lower() in NEGATIVE else set()
        return tuple(s for s in super()._of(word) if s not in other)


filtered = NoCrossing(tokenizer.vocab, BertModel.from_pretrained("minilm-l6").embeddings.word_embedding.weight)
crossing = {word for word, _, _ in eda.polarity_swaps(synonyms, POSITIVE, NEGATIVE)}
print(f"crossings: {len(eda.polarity_swaps(synonyms, POSITIVE, NEGATIVE))} before the filter, "
      f"{len(eda.polarity_swaps(filtered, POSITIVE, NEGATIVE))} after; words with one: {sorted(crossing)}")
print(f"'good' before: {synonyms.of('good')}; after: {filtered.of('good')}")

# %%
train = data.load_task("sst", "train", profile.data_dir)
holding = [e for e in train if crossing & set(e.sentence.lower().split())]
print(f"{len(holding):,} of {len(train):,} SST training sentences ({len(holding) / len(train):.1%}) "
      "hold a word with a crossing synonym")

# %% [markdown]
# On the course data 7.3% of the SST training sentences hold such a word. An edit
# goes through the crossing only when EDA picks that word (one of the sentence's editable
# words, for SR or as RI's source), picks SR or RI (two of the four operations) and picks
# the crossing synonym (one of up to five): a few percent of those sentences' variants,
# well under one percent of all variants. `eda-strong` moved SST by -0.004 against
# `cpu-best` with a seed spread of ± 0.009; removing a change that touches under 1% of the
# variants cannot move it measurably. To check with a run, the filter has to reach
# training: `EdaAugmentation` takes its `Synonyms`, and the plug-in that builds it
# (`bert_core.training.plugins`) is where a config field would choose `NoCrossing`.
#
# ## 2. Every SST sentence a variant, every epoch

# %%
# NBVAL_IGNORE_OUTPUT
every = run_experiment(exercise("eda-every-sentence", profile.name), progress=False)

# %%
rows = {name: committed[name] for name in ("cpu-best", "eda-strong")} | {"eda-every-sentence": every}
compared_table(rows, "cpu-best", learned=False)

# %%
curves = {}
for name, result in rows.items():
    run = result.runs[0]
    for epoch in run["epochs"]:
        curves[(name, f"epoch {epoch['epoch']}")] = {"SST training loss": epoch["train_loss"]["sst"],
                                                     "SST dev accuracy": epoch["dev"]["sst"]}
pd.DataFrame(curves).T.round(3)

# %% [markdown]
# With `eda_share=1.0` the model never sees an original SST sentence in training, only
# variants, new ones every epoch. Read the table of losses: the SST training loss is
# measured on those variants, and it stays above `cpu-best`'s (the model cannot memorise
# a sentence it sees once in each form), while the dev accuracy, measured on real
# sentences, ends at 0.430 against 0.437 ± 0.008 for `cpu-best` and 0.433 for
# `eda-strong`: one seed, inside the spread. A higher training loss with the same dev
# accuracy is what a regulariser looks like when it neither helps nor hurts; at α = 0.3
# the variants are close enough to the originals that the model learns the same thing
# from them.
#
# ## 3. A paraphraser from random deletion alone
#
# A paraphraser maps sentences to lists of paraphrases; `fill_cache` writes them to the
# cache file that `augmentation=("sst_paraphrases",)` reads:

# %%
# NBVAL_CHECK_OUTPUT
def deletion_paraphraser(sentences: list[str]) -> list[list[str]]:
    """One paraphrase a sentence: each word deleted with probability 0.2, seeded by the
    sentence so the cache is the same on every machine."""
    return [[" ".join(eda.random_deletion(s.split(), 0.2, random.Random(s)))] for s in sentences]


examples = [e.sentence for e in data.load_task("sst", "train", data.sample_data_dir())[:3]]
with tempfile.TemporaryDirectory() as scratch:
    cache = Path(scratch) / "extra" / "sst-paraphrases.jsonl"
    fill_cache(examples, deletion_paraphraser, cache, source="random deletion, p 0.2")
    for sentence, paraphrases in read_cache(cache).items():
        print(f"{sentence}\n  -> {paraphrases[0]}")

# %% [markdown]
# The difference from EDA is when the variants are made. The cache is static: each
# sentence gets the same paraphrase in every epoch, and it is *added* to the data (the
# run trains on originals and paraphrases), so the model sees two fixed versions of each
# sentence. EDA replaces sentences on the fly with a new variant every epoch. A static
# copy is a larger dataset; fresh variants are a noisier one. With deletion alone the
# paraphrase is a subset of the sentence's words, so the static copy mostly repeats the
# original with less context, and we expect it to help no more than EDA did. To train it:
# fill the cache under `$BERT_CORE_DATA/extra/` for all of SST's training sentences and
# run `preset("cpu-best", "cpu", augmentation=("sst_paraphrases",), name="sst-deletion-copy")`.
#
# ## 4. Yelp's reviews at `max_length=128`
#
# Yelp is a download (`python -m bert_core.multitask.extra download yelp`), not part of
# the offline course data, so this page measures it only where the file is:

# %%
yelp = extra_file("yelp", profile.data_dir)
if yelp.exists():
    lengths = token_lengths(load_extra("yelp", profile.data_dir, limit=2000), tokenizer)
    print(f"{len(lengths)} reviews: median {int(pd.Series(lengths).median())} tokens; "
          f"{(lengths > 128).mean():.0%} longer than 128, which keep their first 128")
else:
    print(f"no {yelp.name} in the data folder's extra/: `python -m bert_core.multitask.extra download yelp` "
          "(online)")

# %% [markdown]
# What to look for once it is there: SST's sentences are short (notebook 00: a median of
# 24 tokens), Yelp's reviews are paragraphs. Every review longer than
# 128 tokens keeps only its first 128, and a review's verdict often comes at its end, so
# truncation removes exactly the words that carry the label. Keeping the last 128 tokens,
# or the first and last 64, are the usual remedies; and the 1-5 stars of a review are not
# SST's five classes of a sentence, so `extra_data={"yelp": 0.5}` adds a different task
# under the same labels.
