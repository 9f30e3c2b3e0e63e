# Quern: two commands from a fresh clone.
#   make demo   installs what it needs, builds, makes a games dataset, runs quern on it
#   make test   installs what it needs, builds, runs every test
PREFIX ?= /usr/local
DEMO ?= data/demo
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := pkg-config zlib1g-dev liblz4-dev libzstd-dev libdeflate-dev libhdf5-dev gzip lz4 zstd
# Only the tests need Python: numpy, pytest and the codecs of python/ from Debian, never pip
# (Debian 12's Python is "externally managed", so `pip install` is refused there).
# The single-cell tests write .h5ad files with anndata (scipy for sparse matrices, h5py for a
# foreign HDF5 file); python3-pip only downloads scanpy's wheel for its real dataset (no install).
TEST_DEB_PACKAGES := python3 python3-numpy python3-pytest python3-zstandard python3-lz4 \
	python3-anndata python3-scipy python3-h5py python3-pip
# Real data the tests read (scripts/fetch-test-data.sh); `make test` tells the tests where, so a
# missing file fails there instead of skipping.
TEST_DATA ?= $(CURDIR)/data/test-data
# The Python that has them: Debian's (a python3 earlier on PATH, such as pyenv's, may lack them).
TEST_PYTHON ?= /usr/bin/python3

.PHONY: all deps test-deps build install install-files demo test bench fuzz clean help

all: build

help:
	@echo "make demo | test | lint | format | test-team-plugins | bench [PEERS=DIR SHAPES=large,onefile,wide SCALE=4 SAVE=FILE STRICT=1] | fuzz [FUZZ_SECONDS=60] | build | install [PREFIX=/usr/local] (binary, man page, completions) | docs | clean"

# Installs the Debian packages of $(1) that are missing.
apt_install = @missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

## deps: the Debian packages of the C libraries (all that build and demo need).
deps:
	$(call apt_install,$(DEB_PACKAGES))

## test-deps: Debian's python3-numpy for the interop tests (the tests use /usr/bin/python3
## when the python3 on PATH has no numpy), pytest, zstandard and lz4 for python/'s tests,
## anndata, scipy and h5py for the single-cell tests, and scanpy's pbmc68k_reduced.h5ad in
## $(TEST_DATA) (downloaded once, checked by its SHA-256).
test-deps: deps
	$(call apt_install,$(TEST_DEB_PACKAGES))
	TEST_PYTHON=$(TEST_PYTHON) scripts/fetch-test-data.sh "$(TEST_DATA)"

## build: the release binary at .build/release/quern.
build: deps
	$(SWIFT) build -c release --product quern
	@echo "built .build/release/quern"

## install: the release binary, shell completions (bash, zsh, fish) and the man page under
## PREFIX (default /usr/local), e.g. `make install PREFIX=$$HOME/.local`.
install: build
	$(MAKE) install-files CONFIG=release

## install-files: what `install` copies, from the CONFIG (release or debug) build, without
## building quern first. The completions come from the binary's --generate-completion-script,
## the man page from swift-argument-parser's generate-manual tool (built from the package).
CONFIG ?= release
MANDIR ?= $(PREFIX)/share/man/man1
BASHDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR ?= $(PREFIX)/share/zsh/site-functions
FISHDIR ?= $(PREFIX)/share/fish/vendor_completions.d
install-files: .build/$(CONFIG)/generate-manual
	install -d "$(PREFIX)/bin" "$(MANDIR)" "$(BASHDIR)" "$(ZSHDIR)" "$(FISHDIR)"
	install -m 755 .build/$(CONFIG)/quern "$(PREFIX)/bin/quern"
	"$(PREFIX)/bin/quern" --generate-completion-script bash > "$(BASHDIR)/quern"
	"$(PREFIX)/bin/quern" --generate-completion-script zsh > "$(ZSHDIR)/_quern"
	"$(PREFIX)/bin/quern" --generate-completion-script fish > "$(FISHDIR)/quern.fish"
	.build/$(CONFIG)/generate-manual "$(PREFIX)/bin/quern" --output-directory "$(MANDIR)"
	@echo "installed $(PREFIX)/bin/quern, its man page (man quern) and bash, zsh and fish completions under $(PREFIX)/share"

# swift-argument-parser's man page writer, a product of the package's dependency.
.build/%/generate-manual:
	$(SWIFT) build -c $* --product generate-manual

## demo: a few thousand generated games files through the whole pipeline.
demo: build
	@rm -rf $(DEMO)
	.build/release/quern generate --files 3000 --rows 75 --seed 1 --bad 3 --out $(DEMO)/input
	.build/release/quern run --config docs/examples/games.yaml --input-dir $(DEMO)/input \
	  --intermediate-dir $(DEMO)/intermediate --output-dir $(DEMO)/processed || [ $$? -eq 3 ]
	@echo
	@echo "3 malformed input files were added on purpose: they are listed in $(DEMO)/intermediate/failed.jsonl."
	@echo "Batches (kept, for re-running the merge): $(DEMO)/intermediate"
	@echo "Outputs: $(DEMO)/processed. Load them in Python:"
	@echo "    import numpy as np"
	@echo "    X = np.load('$(DEMO)/processed/X_train.npy', mmap_mode='r')"
	@echo "    y = np.load('$(DEMO)/processed/labels_train.npz')['action']"

## test: every test, on the debug build (integration tests run the real executable), then the
## example team package (docs/examples/team-plugins: it builds on Quern as a library, so a
## change that breaks a team's own package fails here), then the Python package's tests
## (python/tests) against the same executable.
test: test-deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) build --product generate-manual
	QUERN_TEST_DATA="$(TEST_DATA)" QUERN_BIN=$(CURDIR)/.build/debug/quern $(SWIFT) test --skip-build
	QUERN_BIN=$(CURDIR)/.build/debug/quern $(TEST_PYTHON) -m pytest -q -p no:cacheprovider python/tests
	$(MAKE) test-team-plugins

## lint: swift-format with the house style (.swift-format: 4 spaces, 120 columns, as swift-nio), strict, over
## every Swift file; `make format` rewrites them in that style.
.PHONY: lint format
SWIFT_FILES := Package.swift Sources plugins Tests docs/examples/team-plugins/Package.swift \
	docs/examples/team-plugins/Sources docs/examples/team-plugins/Tests
lint:
	$(SWIFT) format lint --strict --recursive $(SWIFT_FILES)
format:
	$(SWIFT) format format --in-place --recursive $(SWIFT_FILES)

## test-team-plugins: build the example team package and run its tests (conformance suites on its
## plugins, one end-to-end run of its team-quern). Its .build and Package.resolved stay untracked.
.PHONY: test-team-plugins
test-team-plugins:
	cd docs/examples/team-plugins && $(SWIFT) build --build-tests && $(SWIFT) test --skip-build

## bench: quern against the pandas, polars, pyarrow and duckdb peers on games/large, games/onefile and
## games/wide, then quern on SCALE (default 4) times each (not part of test). SHAPES=wide runs one shape,
## SCALE=1 skips the 4x runs, STRICT=1 fails when a target is not met, ROUNDS=n runs the commands the targets
## compare n times (default 2; the best counts). pyarrow and duckdb go into a venv the bench makes
## (python3-venv on Debian); the single-cell bench's generator and peer use Debian's anndata.
bench: build
	$(call apt_install,python3-venv python3-numpy python3-anndata python3-scipy python3-h5py)
	python3 bench/bench.py $(if $(PEERS),--peers $(PEERS)) $(if $(SAVE),--save $(SAVE)) \
	  $(if $(SHAPES),--shapes $(SHAPES)) $(if $(SCALE),--scale $(SCALE)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(STRICT),--strict)
	python3 bench/bench_h5ad.py $(if $(H5AD_CELLS),--cells $(H5AD_CELLS))

## fuzz: libFuzzer on the CSV, JSON Lines and batch-file readers, FUZZ_SECONDS each (not part of test).
fuzz: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) ./fuzz/run.sh

## docs: docs/cli.md from the CLI's own --help (a test fails when it is stale).
.PHONY: docs
docs:
	$(SWIFT) build --product quern
	scripts/cli-docs.sh .build/debug/quern > docs/cli.md
	@echo "wrote docs/cli.md"

clean:
	rm -rf .build data docs/examples/team-plugins/.build
