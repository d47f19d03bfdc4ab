"""The course helpers the notebooks use: the top layer, it may read every other.

    notebook     set-up (profile, seeds), versions, showing a library object's source
    describe     statistics of the course's data (notebook 00)
    tables       results tables beside the reports' published numbers, with seed noise
    significance Welch's test over seeds, the majority-class check; comparison: the tables with it
    probe        a logistic probe of frozen pair features (notebook 05)
    zero_shot    the checkpoint's untrained STS r: the last row of every table with an STS column
    sts_geometry the cosines an STS head reads and asks for (notebook 06)
    selection    the rule that chooses the final model (notebooks 05 and 11)
    plots        the figures the notebooks share, saved under figures/<profile>/
    method_plots SMART's and PCGrad's figures (notebooks 08-09)
    analysis     confusion matrices, per-class P/R/F1, near misses, STS residuals (notebook 11)
    categories   the reports' error categories as counted rules (notebook 11)
    paired       two models on the same examples: McNemar, a paired bootstrap (notebook 11)
    error_report one model's analysis as a stored report, and its parts as tables (notebook 11)
    widgets      type a pair, browse the worst errors, any attention head (notebook 11)
    readme       the generated results: docs/results.md and the README's table
    execute      the main job: execute every notebook in a profile
    cloud        the notebooks' set-up cell: the course installed into a fresh (cloud) kernel
"""
