"""Experiments: profiles, presets, the result store, ``run_experiment`` and its command line.

    profiles     the one table of profiles (smoke, cpu, gpu): data, checkpoint, caps
    presets      the named starting points (plain data); make_config, preset, in_profile
    result       ExperimentResult: one record per seed, mean and std per metric
    store        committed results under results/<profile>/: load_result, store_run
    run          run_experiment: load the stored seeds whose hash matches, train the rest;
                 trained_model: a run's best weights, read or trained again
    grid         every committed table: rows, seeds, baselines; ablation: notebook 05's
    exercises    the runs the exercises' worked solutions train
    submission   the course's prediction files from a stored run, and their validator
    cli          what the command lines share: seeds, one-line user errors
    __main__     python -m bert_core.experiments (also python -m bert_core.train)

The names a notebook needs are importable from here.
"""

from bert_core.experiments.presets import PRESETS, in_profile, make_config, preset
from bert_core.experiments.profiles import PROFILES, caps_table, get_profile
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.run import run_experiment
from bert_core.experiments.store import load_result, load_results
from bert_core.training.config import ExperimentConfig

__all__ = ["PRESETS", "PROFILES", "ExperimentConfig", "ExperimentResult", "caps_table", "get_profile",
           "in_profile", "load_result", "load_results", "make_config", "preset", "run_experiment"]
