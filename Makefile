# Two commands on a fresh machine:  make demo  (train and show samples)  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The dependency install is keyed by pyproject.toml and the interpreter, so an unchanged spec reuses it.
DEPS_KEY := $(shell (cat pyproject.toml; $(PYTHON) --version 2>&1) | sha256sum | cut -c1-16)
DEPS_STAMP := $(VENV)/.deps-$(DEPS_KEY)
FASHION_MNIST := /usr/share/datasets/fashion-mnist
DEMO_STEPS ?= 2000
# run a command, showing its output only if it fails (the editable re-install warns on every run)
QUIET_ON_SUCCESS := sh -c 'out=$$("$$@" 2>&1) || { printf "%s\n" "$$out"; exit 1; }' --
# Example plugin packages: each has its own pyproject.toml, tests/ and an example.yaml that `make test` trains briefly.
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
PLUGIN_FIT_ARGS := --trainer.max_steps=20 --trainer.logger=false --trainer.enable_progress_bar=false \
	--trainer.enable_model_summary=false

.PHONY: install install-plugins demo test lint

install: $(DEPS_STAMP)
	@# cheap: point the editable install at this checkout (the environment may be shared between clones)
	@$(QUIET_ON_SUCCESS) $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

$(DEPS_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.deps-* && touch $@

demo: install
	@if [ ! -d $(FASHION_MNIST) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist >/dev/null) || true; \
	fi
	@if [ -d $(FASHION_MNIST) ]; then \
		echo "demo: DCGAN on Fashion-MNIST (Debian's files), $(DEMO_STEPS) generator steps on $$(nproc) cores"; \
		$(BIN)/lightgan fit --config configs/dcgan_fashion_mnist.yaml --trainer.max_steps $(DEMO_STEPS) \
			--model.init_args.base_channels 32 --data.init_args.batch_size 64 \
			--trainer.callbacks+=FixedNoiseSamples --trainer.callbacks.every_n_steps 250; \
	else \
		echo "demo: $(FASHION_MNIST) not available; GAN on the 2-D ring of Gaussians (no data needed)"; \
		$(BIN)/lightgan fit --config configs/gan_ring.yaml --trainer.max_epochs 5; \
	fi

install-plugins: install
	@# editable, into the same environment, without touching its dependencies
	@for p in $(PLUGIN_DIRS); do \
		$(QUIET_ON_SUCCESS) $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e $$p || exit 1; \
	done

test: install-plugins
	$(BIN)/python -m pytest -q || [ $$? -eq 5 ]
	@for p in $(PLUGIN_DIRS); do \
		echo "== $$p: tests"; \
		(cd $$p && $(abspath $(BIN))/python -m pytest -q) || [ $$? -eq 5 ] || exit 1; \
		echo "== $$p: lightgan fit --config $$p/example.yaml ($(word 1,$(PLUGIN_FIT_ARGS)))"; \
		run_dir=$$(mktemp -d) && \
		$(BIN)/lightgan fit --config $$p/example.yaml $(PLUGIN_FIT_ARGS) --trainer.default_root_dir=$$run_dir \
			&& rm -rf $$run_dir || exit 1; \
	done

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
