# ---
# jupyter:
#   jupytext:
#     formats: notebooks///ipynb,notebooks///py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Error analysis, the final model and its submission files
#
# **What you'll do:** take the final model (the recipe the tables found best) and the
# reports' baseline, and read their dev predictions: confusion matrices, per-class
# precision, recall and F1, how far SST misses, what the STS errors correlate with, the
# reports' error categories counted on the whole dev set, and a paired comparison of the
# two models on the same examples. Then explore the model with widgets and write the
# course's submission files, checked by a validator.
#
# **What you'll learn:** what an accuracy hides (which classes, which examples); how to
# test a qualitative claim ("long pairs are over-estimated") instead of eyeballing it;
# the difference between "two recipes differ over seeds" (notebooks 05-10) and "two
# models differ on these examples" (McNemar, a paired bootstrap).
#
# **What you'll need:** notebook 05 (the baseline, `cpu-best` and the headline recipe)
# and the tables of 06-10. `bert_core.course.analysis`, `.categories`, `.paired`,
# `.widgets`, `.error_report`, `bert_core.experiments.submission`.

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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import analysis, categories, paired, plots, widgets
from bert_core.course.error_report import error_report, report_table
from bert_core.course.notebook import setup, versions
from bert_core.course.comparison import comparison_table
from bert_core.course.selection import REFERENCE, candidate_results, final_choice, leads, selection_table
from bert_core.course.tables import provenance_line, results_table
from bert_core.experiments import preset, run_experiment
from bert_core.experiments.grid import table
from bert_core.experiments.run import missing_weights_line, stored_model
from bert_core.experiments.store import load_artefact, save_artefact
from bert_core.experiments.submission import check_submission, write_submission
from bert_core.files import runs_root
from bert_core.multitask.data import load_task

profile = setup(seed=0)
pd.set_option("display.precision", 3)
print(profile)

# %%
# NBVAL_IGNORE_OUTPUT
print(versions())

# %% [markdown]
# ## 1. The two models, and how the final one was chosen
#
# **The recipe to beat** is notebook 05's headline recipe with the STS head that notebook
# 06 (section 9) found: mean pooling, the Quora pair cross-encoded, STS scored as
# 5 cos(u, v) (`scaled_cosine`), trained on all the offline data for one pass
# (`headline-scaled-cosine`; at the cpu caps the same recipe is the row
# `cpu-best-scaled-cosine`). **The final model** (`final`) is that recipe, or what a rule
# stated before looking replaces it with. **The baseline** is the reports' (notebook 05:
# [CLS] pooler, linear heads, pairs encoded separately) under the cpu caps.
#
# Could a recipe from notebooks 05-10 and 12 replace it? The rule
# (`bert_core.course.selection`) has two stages.
#
# **The screen**, at the cpu caps, where every table's rows were trained: each multitask
# row against `cpu-best-scaled-cosine` on the overall dev score, one-sided Welch over the
# seeds. A row ahead at p < 0.05 is a *lead*. With about fifty rows compared, two or
# three lead by chance alone, which a screen tolerates: its job is to send few rows on. A
# notebook's rows are variations of one idea, so each notebook sends its best lead only.

# %%
# NBVAL_CHECK_OUTPUT
screen = selection_table(candidate_results())
current_leads = leads(screen)
print(f"{len(screen)} rows against {REFERENCE}; ahead at p < 0.05 uncorrected: "
      f"{int(screen['ahead at p < 0.05'].sum())}; each notebook's best lead: {current_leads or 'none'}")
screen.head(6)[["seeds", "overall", "Δ", "p (ahead)"]].round(4)

# %% [markdown]
# **The confirmation**, at the headline's budget: each lead is trained again as its
# *twin* (`twin(name)`: the same preset on all the offline data with the headline's
# schedule, three seeds, full dev sets) and compared with `headline-scaled-cosine`. These
# are new runs, so a lead that came from three lucky seeds at the cpu caps has to win
# again. Two more candidates enter here without a screen, because no table of the cpu
# caps can screen them: the recipe's own one-change variants (`VARIANTS`), named before
# they were trained, each from a finding of notebook 05 section 11. One pass under-trains
# SST, alone or together, so `headline-scaled-cosine-two-epochs` makes a second pass over
# every task; STS alone scores 0.015 above STS together, so
# `headline-scaled-cosine-sts-weight-1` gives STS's loss its full weight (the cpu profile's
# 0.2 removed). With k candidates tested, Holm's step-down correction keeps the chance of
# any false confirmation at 0.05. The final recipe is the confirmed candidate with the
# best mean overall score; if none is confirmed, the recipe to beat is the final one.

# %%
# NBVAL_CHECK_OUTPUT
stage_two, chosen, missing = final_choice()
print(f"stage 2's candidates: {list(stage_two.index) or 'none'}; still to train: {missing or 'none'}")
print(f"the final recipe: {chosen or 'no answer until every candidate is trained'}")
stage_two[["seeds", "overall", "Δ", "p (ahead)", "Holm threshold", "ahead by Holm"]].round(4)

# %% [markdown]
# The same runs task by task (grid table "11", against the recipe to beat; Δ starred where
# Welch's test over the three seeds gives p < 0.05; seconds are a run's wall time on the
# course's 2-core machine):

# %%
# NBVAL_CHECK_OUTPUT
grid_final = table("11")
variants = grid_final.committed()
print(provenance_line(variants))
comparison_table(grid_final, variants)

# %% [markdown]
# No row of the screen leads the recipe: the closest, report 003's model with low-rank
# adapters and with proportional sampling, are ahead by 0.006 overall at a one-sided p of
# 0.14. So no twin goes to the confirmation, and the two variants are its only
# candidates.
#
# - **The second pass is confirmed**: +0.011 overall, one-sided p 0.002, under Holm's
#   threshold of 0.025 for the smaller of two p-values. Task by task it gains on SST
#   (+0.018) and on Quora (+0.014), both beyond the noise, and leaves STS where it was
#   (+0.002). A run takes 1,092-1,174 s on the course's two cores. It is the final recipe:
#   `final` is `headline-scaled-cosine-two-epochs`, SST 0.482, Quora 0.836, STS r 0.863 over
#   three seeds on the full dev sets.
# - **STS at full weight is not**: the overall score falls by 0.005. It does what notebook
#   05 expected for STS (0.874, +0.013 beyond the noise, level with STS trained alone), but
#   SST and Quora lose 0.013 and 0.010, both beyond the noise. The cpu profile's weight of
#   0.2 is what costs STS in the multitask model; removing it moves the cost to the other
#   two tasks.
#
# How the recipe to beat got its STS head, in the open: against the headline recipe
# *before* notebook 06's fix (`cpu-best`), four rows led at p < 0.05 (three adapter rows
# of notebook 10 and `mean-proportional` of notebook 07, by 0.010 to 0.013 overall), and
# the fix itself would not have been one of them: it lifts STS by 0.049 (beyond the noise,
# notebook 06) but the overall score by 0.007 (p 0.10), because STS is one third of that
# score and SST and Quora move by ±0.01 in their noise. It entered the recipe as a repair
# of a diagnosed fault (a head that made the checkpoint worse at STS than no training),
# the way every piece of `cpu-best` came from notebook 06's comparisons on its own task's
# column, not through this rule. Against the repaired recipe, the four earlier leads are
# 0.003 to 0.006 ahead and none leads. Whether adapters on top of the repaired recipe help
# is a question this rule has not been asked (exercise 6).
#
#
# One seed of each model below: this notebook looks at two trained models, not at two
# recipes over seeds.

# %%
# NBVAL_IGNORE_OUTPUT
# cpu: both runs are committed and load in a second (final: python -m bert_core.train final
# --profile cpu, 1,092-1,174 s a seed on this course's 2-core machine); smoke: each trains in seconds on the sample set.
configs = {"final": preset("final", profile.name), "baseline": preset("multitask-baseline", profile.name)}
results = {name: run_experiment(config, progress=False) for name, config in configs.items()}

# %% [markdown]
# Their dev scores (on this page the `cpu` runs: final on the full dev sets, the baseline
# on the cpu profile's 600 examples a task; in `smoke`, the sample set's):

# %%
results_table(results, resources=False)

# %% [markdown]
# ## 2. Every prediction beside its sentence
#
# Each stored run keeps its best epoch's dev predictions with their ids and labels.
# `prediction_frame` joins them with the dev file's sentences; an STS prediction is an
# error when it misses the gold score by more than one point of the 0-5 scale.

# %%
tasks = ("sst", "quora", "sts")
dev = {task: load_task(task, "dev", profile.data_dir) for task in tasks}
frames = {name: {task: analysis.prediction_frame(result.runs[0], task, dev[task]) for task in tasks}
          for name, result in results.items()}
final, baseline = frames["final"], frames["baseline"]
final["sts"].head(3)

# %% [markdown]
# ## 3. Confusion matrices
#
# Row i, column j counts the dev sentences of true class i that the model put in class
# j; the diagonal is what it got right. Row-normalised, each row shows where one true
# class goes: recall on the diagonal.

# %%
fig = plots.plot_confusion(analysis.confusion(final["sst"], 5), analysis.SST_NAMES, "final, SST-5")
plots.save_figure(fig, "11_confusion_sst", profile.name)
plt.show()

# %%
fig = plots.plot_confusion(analysis.confusion(final["quora"], 2), analysis.QUORA_NAMES, "final, Quora")
plots.save_figure(fig, "11_confusion_quora", profile.name)
plt.show()

# %% [markdown]
# ## 4. Precision, recall and F1 per class
#
# precision_k = C[k, k] / Σ_i C[i, k] (of the sentences put in class k, the share that
# belong there), recall_k = C[k, k] / Σ_j C[k, j], F1 their harmonic mean. The macro mean
# weighs every class the same; the weighted mean weighs it by its support, and sits
# close to accuracy.

# %%
analysis.class_report(final["sst"], analysis.SST_NAMES)

# %%
analysis.class_report(final["quora"], analysis.QUORA_NAMES)

# %% [markdown]
# ## 5. What the model predicts against what is there
#
# Report 001 plots predicted class counts against true ones, and the predicted STS
# scores' histogram against the gold scores': a model that avoids a class, or squeezes
# STS into the middle of the scale, shows at once.

# %%
fig = plots.plot_prediction_distributions(final)
plots.save_figure(fig, "11_prediction_distributions", profile.name)
plt.show()

# %% [markdown]
# ## 6. How far SST misses
#
# Report 004 (section 5) found that its model "generally predicts the sentiment within 1
# level of the true sentiment". Counted: errors by distance, the share one class away,
# and polarity flips (a negative sentence, class 0-1, put in 3-4, or the reverse), for
# both models:

# %%
pd.DataFrame({name: analysis.near_misses(f["sst"]) for name, f in frames.items()}).T

# %% [markdown]
# ## 7. What the STS errors correlate with
#
# The residual is prediction − gold. Report 002 (section 6) looked at the 13 pairs of 300
# characters or more among the first 500 dev pairs, found 9 over-estimated, and
# concluded that "the model overrates the similarity of longer sentence pairs". Tested
# on every dev pair: the residual's correlation with the pair's length (words,
# characters) and with the gold score, each with Fisher's 95% interval.

# %%
analysis.residual_correlation(final["sts"])

# %% [markdown]
# The same by length bins: the mean residual, its standard error and the share of pairs
# over-estimated.

# %%
analysis.residuals_by_bin(final["sts"], "characters", [0, 100, 200, 300, 2000])

# %%
fig = plots.plot_sts_residuals(final["sts"])
plots.save_figure(fig, "11_sts_residuals", profile.name)
plt.show()

# %% [markdown]
# ## 8. The reports' error categories, counted
#
# Each category of reports 002 and 004 becomes a rule on the text (`categories`): SST
# sentences with a negation or a contrast ("but", "although"), long ones; Quora pairs
# where one question has a personal pronoun and the other none (report 004's "What makes
# one angry?" / "What is the one thing that makes you most angry?"), pairs of high and of
# low word overlap; STS pairs of 300+ characters, of high overlap, with a negation in
# only one sentence. Per category: its error rate against the rate outside it
# (Fisher's exact test), and for STS the mean residual inside against outside (Welch).

# %%
categories.category_table(final["sst"], "sst")

# %%
categories.category_table(final["quora"], "quora")

# %%
categories.category_table(final["sts"], "sts")

# %% [markdown]
# Examples: the Quora errors of high word overlap (the model said "duplicate" for
# different questions, or the reverse), and the STS pairs with a negation in one
# sentence that the model missed by most.

# %%
with pd.option_context("display.max_colwidth", 80):
    display(categories.category_examples(final["quora"], "quora", "high overlap"))
    display(categories.category_examples(final["sts"], "sts", "negation in one"))

# %% [markdown]
# ## 9. The two models on the same examples
#
# On the dev examples both models predicted: the 2 × 2 table of right and wrong, McNemar's
# exact test on the discordant examples for SST and Quora, a paired bootstrap of the
# Pearson difference for STS (the same resample for both models, 2,000 draws).

# %%
paired.paired_table(final["quora"], baseline["quora"], ("final", "baseline"))

# %%
pd.DataFrame({task: paired.compare_pair(final[task], baseline[task], "accuracy") for task in ("sst", "quora")}).T

# %% [markdown]
# For STS, r of each model on the common pairs, the difference, its 95% bootstrap
# interval and p (0 means no draw of the 2,000 crossed zero: p < 0.001):

# %%
pd.DataFrame([paired.compare_pair(final["sts"], baseline["sts"], "pearson")], index=["sts"])

# %% [markdown]
# ## 10. Explore the model
#
# The final model's weights, read from its run folder. A fresh clone has the committed
# results but not the weights (they are not committed): the cell then says so in one line
# and how to train them, and the sections below show the answers the trained model gave,
# stored in `results/cpu/final_answers.json`.

# %%
# NBVAL_IGNORE_OUTPUT
model = stored_model(configs["final"], 0)
tokenizer = Tokenizer.from_pretrained(configs["final"].checkpoint).with_max_length(configs["final"].max_length)
print("final seed 0: weights loaded from the run folder" if model is not None
      else missing_weights_line(configs["final"], 0))

# %% [markdown]
# Type a sentence (and a second one for the pair tasks) and press *predict*. In a live
# kernel with the weights the widget answers; below it, the trained final model's answer
# to one pair, for readers of the page:

# %%
# NBVAL_IGNORE_OUTPUT
if model is not None:
    display(widgets.answers_widget(model, tokenizer, *widgets.SAMPLE_PAIR))
    if profile.name == "cpu":  # the committed answers come from the trained cpu model
        save_artefact("cpu", "final_answers", widgets.sample_answers(model, tokenizer))

# %%
# NBVAL_CHECK_OUTPUT
committed_answers = load_artefact("cpu", "final_answers")
answers = committed_answers["payload"]
print(" / ".join(answers["pair"]), f"(final, cpu, {committed_answers['meta']['date']})")
pd.DataFrame(answers["answers"]).round(2)

# %% [markdown]
# Browse the worst dev errors by task, true and predicted class, length and category:

# %%
# NBVAL_IGNORE_OUTPUT
widgets.errors_widget(final)

# %%
with pd.option_context("display.max_colwidth", 80):
    display(widgets.worst_errors(final["sst"], "sst", count=5))

# %% [markdown]
# And any attention head of any layer, for a sentence or a cross-encoded pair (row i:
# where token i looks). Below the widget, the trained model's layer 2, head 0, from the
# stored answers:

# %%
# NBVAL_IGNORE_OUTPUT
if model is not None:
    display(widgets.attention_widget(model, tokenizer, widgets.SAMPLE_ATTENTION["sentence"]))

# %%
attention = answers["attention"]
fig = plots.plot_attention(np.array(attention["probs"]), attention["tokens"],
                           title=f"final, layer {attention['layer']}, head {attention['head']}")
plots.save_figure(fig, "11_attention", profile.name)
plt.show()

# %% [markdown]
# ## 11. Submission files
#
# The course's leaderboards take one file per task and split, as the starter code
# writes them. `write_submission` writes them from the stored run (its dev predictions
# and the test-student predictions the final run made); `check_submission` reads them
# back against the data files: the starter's header, every id exactly once, every value
# a class in range or a score in [0, 5]. (The offline Quora data has no test file.) From
# the command line: `python -m bert_core.experiments.submission write final --profile cpu
# --to submission/` and `... check submission/`.

# %%
folder = runs_root() / "submission" / profile.name
write_submission(results["final"].runs[0], folder)
check_submission(folder, profile.data_dir)

# %% [markdown]
# ## 12. The committed cpu analysis
#
# In `cpu` this notebook stores the final model's analysis, with its paired comparison
# against the baseline, as `results/cpu/error_analysis.json`, and every profile shows
# the stored analysis here: in `cpu` it repeats sections 3-9 in one place; in any other
# profile it is the course's analysis beside yours.

# %%
# NBVAL_CHECK_OUTPUT
if profile.name == "cpu":
    save_artefact("cpu", "error_analysis", {"model": "final", "against": "multitask-baseline", "seed": 0,
                                            "report": error_report(final, baseline)})
committed = load_artefact("cpu", "error_analysis")
report = committed["payload"]["report"] if committed else None
print("no committed cpu analysis yet: BERT_CORE_PROFILE=cpu make run" if report is None else
      f"`{committed['meta']['command']}` on {committed['meta']['machine']}, {committed['meta']['date']}")

# %%
# NBVAL_CHECK_OUTPUT
if report:
    display(report_table(report, "sst", "confusion"))
    display(report_table(report, "sst", "classes"))
    display(report_table(report, "sst", "near_misses"))

# %%
# NBVAL_CHECK_OUTPUT
if report:
    display(report_table(report, "sts", "residuals"))
    display(report_table(report, "sts", "residual_bins"))
    display(report_table(report, "quora", "categories"))
    display(report_table(report, "sts", "categories"))

# %%
# NBVAL_CHECK_OUTPUT
if report:
    display(pd.concat([report_table(report, task, "paired") for task in ("sst", "quora")]))
    display(report_table(report, "sts", "paired"))

# %% [markdown]
# What the committed cpu analysis says (the final model, seed 0, on the full dev sets:
# 1,101 SST sentences, 3,954 Quora pairs, 863 STS pairs; the paired rows on the
# baseline's 600 examples a task):
#
# - **SST (accuracy 0.475, macro F1 0.439).** The model avoids the middle and the ends:
#   neutral has recall 0.192 (44 of 229; 82 go to negative, 84 to positive) and very
#   negative 0.288 (84 of 139 go to negative). Report 004's reading holds here too: 453 of
#   the 578 errors (78%) are one class away; 91 (16%) flip the polarity. None of the three
#   text categories (negation, contrast, 30+ words) errs more than the rest beyond chance
#   (error rates 0.54-0.56 against 0.52, Fisher p ≥ 0.30): on this model, "negation is
#   hard" is not what the dev set shows.
# - **Quora (0.837).** The model says "duplicate" more often than the data (precision 0.758,
#   recall 0.841). Word overlap drives its errors: pairs of high overlap err at 0.190
#   against 0.151 (p 0.003), pairs of low overlap at 0.059 against 0.205. Report 004's
#   pronoun mismatch goes the other way here: those pairs err *less* (0.142 against 0.170,
#   p 0.046). One pronoun and not the other usually means lower overlap, so this category
#   is confounded with the overlap one: the exercise below separates them.
# - **STS (r 0.863).** The model over-estimates most pairs (mean residual +0.24; 58-74% of
#   the pairs in each length bin), and the residual falls with the gold score (r -0.38,
#   95% interval -0.43 to -0.32): low pairs are pushed up, high ones have no room. Pearson's
#   r ignores both, which is why nothing in training corrected them. Report 002's claim
#   that long pairs are over-estimated does not hold on the whole dev set for this model:
#   the residual's correlation with length is -0.011 (interval -0.078 to 0.056), and the 20
#   pairs of 300+ characters have a mean residual of -0.08 against 0.25 (Welch p 0.22), in
#   line with their 13-pair sample being too small to say. High-overlap pairs have the same
#   mean residual (0.22 against 0.25, p 0.64) and err less often (0.14 against 0.20, Fisher
#   p 0.037). Pairs with a negation in one sentence err more often (0.39 against 0.17,
#   Fisher p 0.001): one test among the six category tests of this section, but below
#   0.05 / 6 = 0.008, so it holds even with Bonferroni's correction, on 41 pairs.
# - **Final against the baseline, paired.** On the baseline's 600 dev examples a task the
#   final model is right on 102 SST sentences the baseline gets wrong and wrong on 56 it
#   gets right (McNemar p 3e-4), 125 against 52 on Quora (p 4e-8), and its STS r is 0.594
#   higher (bootstrap interval 0.518 to 0.672). That says these two trained models differ
#   on these examples; three seeds per recipe say the recipes do (notebook 05: `headline`
#   +0.158 overall against the baseline, starred; section 1: the second pass +0.011 over
#   the one-pass recipe, starred).
#
# ## Summary
#
# - An accuracy hides which classes a model gets right: the confusion matrix and
#   per-class recall show them, and the macro F1 weighs the rare classes back in.
# - A qualitative claim from a handful of examples is a hypothesis; a rule on the text,
#   counted on the whole dev set with a test against the examples outside it, checks it.
# - Seeds answer "is this recipe better"; McNemar and the paired bootstrap answer "do
#   these two models differ on these examples". Both are needed, and neither replaces
#   the other.
# - Submission files are written from the stored run and read back by a validator before
#   they go anywhere.
#
# ## Exercises
#
# Worked solutions, to open after trying: [`solutions/11_error_analysis_solutions.ipynb`](solutions/11_error_analysis_solutions.ipynb).
#
# 1. Find an error category of your own: browse the worst errors (section 10), write the
#    rule as a function of a row (as in `categories.CATEGORIES`), and count it with
#    `category_table`. Is its error rate different from the rest beyond chance?
# 2. SST's neutral class: how many neutral sentences does the final model put in
#    "negative" against "positive"? Is the model's neutral a place it avoids?
# 3. STS: the residual falls with the gold score. Fit a line to (prediction, gold) on the
#    train set and apply it to dev predictions. Pearson's r does not change; what does
#    the mean residual become?
# 4. Compare `final` with `cpu-best-scaled-cosine` (the same model on 1,600 examples a task) with
#    `compare_pair`. What does the extra data buy, and on which task is the difference
#    beyond chance on these examples?
# 5. Look at layer 0's heads in the attention widget for "not bad at all". Does any head
#    link "not" to "bad"?
# 6. Section 1's closest rows were report 003's model with adapters. Put low-rank adapters
#    on the final recipe at the cpu caps (`preset("cpu-best-scaled-cosine", "cpu",
#    adapters="low_rank", name="fixed-low-rank")`, three seeds). Is it a lead by the
#    screen? If it is, what does its confirmation cost on this machine?
#
# ## Further reading
#
# - McNemar (1947), *Note on the sampling error of the difference between correlated
#   proportions or percentages*; Dietterich (1998), *Approximate Statistical Tests for
#   Comparing Supervised Classification Learning Algorithms*.
# - Koehn (2004), *Statistical Significance Tests for Machine Translation Evaluation*:
#   the paired bootstrap.
# - Ribeiro et al. (2020), *Beyond Accuracy: Behavioral Testing of NLP Models with
#   CheckList*: error categories as tests.
