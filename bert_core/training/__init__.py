"""Training and its extensions: reads ``bert_core.multitask`` and ``bert_core.bert``.

    config       ExperimentConfig: everything that defines a run
    datasets     the fixed training and dev subsets of a run
    sampling     which tasks each step trains: samplers, epoch lengths, curricula
    losses       the task losses, the ranking loss, loss balancing's terms
    state        TrainingState: what a checkpoint carries of a run's progress
    hooks        the loop's plug-in points (Extension, Source, Step) and their defaults
    recipe       what a config builds: the model, the optimiser's groups, the schedules
    step         training_step: one step (the losses, the extensions' terms, backward, AdamW)
    loop         train_run: the run around the steps (the schedule, the batches, evaluation)
    lifecycle    RunKeeper (checkpoints, clock, the stop on divergence) and run_record
    plugins      the registry: which extensions a config turns on, in order
    ranking      extension: the multiple negatives ranking loss for STS's first epochs
    balancing    extension: squared and DWA loss balancing
    smart        extension: SMART in a run (the penalties of each batch, shared dropout)
    smart_terms  SMART's terms: the divergences, the ascent, R_s, the momentum copy, the settings
    pcgrad       extension: gradient surgery, and the gradient cosines it records
    augmentation the training-data augmentations (STS swap, cached SST paraphrases)
    eda          extension: EDA's four edits of SST sentences, drawn afresh each epoch
    paraphrases  the back-translation / paraphrase hook and its cache file
    distributed  data parallelism under torchrun: shards, global-mean losses, summed gradients
    checkpoint   resumable checkpoints, written atomically
    run_folder   a run's folder: paths, opening, finishing
    memory       PeakMemory: a run's peak memory
"""
