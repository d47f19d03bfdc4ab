"""The course helpers the notebooks use: the top layer, it may read every other.

    notebook     set-up (profile, seeds), versions, showing a library object's source
    describe     statistics of the course's data (notebook 00)
    tables       results tables beside the reports' published numbers, with seed noise
    plots        every figure of the notebooks, saved under figures/<profile>/
    execute      the main job: execute every notebook in a profile
"""
