# World Models course: one command for each thing a learner, a teacher or CI does.
# Every target sets up .venv first (idempotent: it reinstalls only when pyproject.toml or
# constraints.txt changed), so a fresh clone needs nothing but Python >= 3.10 and make.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS := lab,test
STAMP := $(VENV)/.wmlib-installed
KERNEL := world-models
LAB_ARGS ?=
BROWSER_TEST_ARGS ?=

# Deterministic, offline, single-threaded runs for tests and for the outputs we commit:
# HF_HUB_OFFLINE makes `auto` resolve to toy everywhere, and one torch thread avoids the
# 10-40x slowdown of oversubscribed cores (shared/reference/environment.md, section 5.3).
RUN_ENV := HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0

.PHONY: help setup lab test lint format test-min test-browser course student solutions notebooks kernel lock clean

help:
	@echo "make lab        set up, then open the course in JupyterLab"
	@echo "make test       set up, then lint (ruff), run the unit tests and every notebook (nbval)"
	@echo "make lint       ruff's lint rules and format check; make format fixes what it can"
	@echo "make test-min   in .venv-min, the oldest transformers, diffusers, accelerate and safetensors pyproject.toml"
	@echo "                allows; then the tests that touch them"
	@echo "make test-browser  set up, then run every notebook in JupyterLab in Chromium (needs: apt-get install chromium)"
	@echo "make course     set up, then execute every notebook into build/ with an HTML copy, build/index.html"
	@echo "                and the README's figures (docs/figures/)"
	@echo "make student    write the learners' copies (exercises stubbed, no outputs) to build/student/"
	@echo "make solutions  write the solution copies (committed outputs kept) to build/solutions/"
	@echo "make notebooks  re-execute the committed notebooks in place (keeps their outputs current)"
	@echo "make lock       regenerate constraints.txt (the exact package set CI tests)"
	@echo "make clean      remove .venv and build/"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "The course needs Python >= 3.10; $(PYTHON) is " + sys.version.split()[0] + ". Run make with PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt install python3-venv"; rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable ".[$(EXTRAS)]"
	@touch $@
	@echo "Environment ready in $(VENV)."

kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name "World Models (wmlib)" >/dev/null
	@echo "Registered the Jupyter kernel '$(KERNEL)'."

lab: kernel
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: lint
	$(RUN_ENV) $(BIN)/python -m pytest

# ruff (configured in pyproject.toml): the lint rules and the formatting `make format` writes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The lower bounds pyproject.toml states for the libraries the real path stands on, installed in their own
# environment, and the tests that use them. torch stays at CI's CPU build (constraints.txt): older torch wheels
# on PyPI are CUDA builds of gigabytes, so torch's lower bound is argued in pyproject.toml, not tested here.
MIN_VENV ?= .venv-min
MIN_LIBRARIES := transformers diffusers accelerate safetensors
MIN_TESTS := tests/test_loading.py tests/test_preflight.py tests/test_real_mode.py tests/test_clip.py \
	tests/test_encoders.py tests/test_layers.py tests/test_lit.py tests/test_generation.py tests/test_video_anatomy.py \
	tests/test_video_pipeline.py tests/test_frame2frame_pipeline.py tests/test_frame2frame_real.py \
	tests/test_frame2frame_scorers.py

test-min:
	@test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(PYTHON) tools/lower_bounds.py $(MIN_LIBRARIES) > $(MIN_VENV)/lower-bounds.txt
	grep '^torch==' constraints.txt >> $(MIN_VENV)/lower-bounds.txt
	$(MIN_VENV)/bin/python -m pip install --quiet --constraint $(MIN_VENV)/lower-bounds.txt --editable . \
	  pytest papermill ipykernel
	$(MIN_VENV)/bin/python -m pip list 2>/dev/null | grep -i -E '^(torch|transformers|diffusers|accelerate|safetensors) '
	$(RUN_ENV) $(MIN_VENV)/bin/python -m pytest -p no:cacheprovider -o addopts="" $(MIN_TESTS)

# Every notebook in a real JupyterLab, driven by Playwright with the system's Chromium (/usr/bin/chromium,
# or WM_CHROMIUM=path): Run All, no error output, figures and widgets render and answer. Screenshots and
# a summary per notebook land in build/browser/. Not part of `make test` (pytest's testpaths leave it out).
test-browser: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest browser_tests -p no:cacheprovider $(BROWSER_TEST_ARGS)

course: $(STAMP)
	$(BIN)/python -m wmlib.course.build course --out build --figures docs/figures

# Exercises are written once, in notebooks/, each solution between `### BEGIN SOLUTION: <task>` and
# `### END SOLUTION` (wmlib.course.exercises).
student: $(STAMP)
	$(BIN)/python -m wmlib.course.exercises student --out build/student

solutions: $(STAMP)
	$(BIN)/python -m wmlib.course.exercises solutions --out build/solutions

notebooks: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m wmlib.course.build in-place

lock: $(STAMP)
	$(BIN)/python tools/lock_constraints.py

clean:
	rm -rf $(VENV) $(MIN_VENV) build
