# eventchain — build, test and deploy. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := api launcher watcher notifier
BUILD_DIR := .aws-sam/build
GOFLAGS_LAMBDA := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LDFLAGS := -s -w

.PHONY: help build test lint validate docs deploy run bench load load-ci clean invoke events $(addprefix build-,$(FUNCTIONS)) build-ApiFunction build-LauncherFunction build-WatcherFunction build-NotifierFunction

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: $(addprefix build-,$(FUNCTIONS)) ## stripped arm64 bootstrap per function under .aws-sam/build

$(addprefix build-,$(FUNCTIONS)): build-%:
	$(GOFLAGS_LAMBDA) $(GO) build -tags lambda.norpc -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/$*/bootstrap ./functions/$*

# `sam build` runs these (template.yaml: BuildMethod makefile) with
# ARTIFACTS_DIR set; they build the same binary as `make build`.
build-ApiFunction build-LauncherFunction build-WatcherFunction build-NotifierFunction:
	$(GOFLAGS_LAMBDA) $(GO) build -tags lambda.norpc -trimpath -ldflags '$(LDFLAGS)' -o $(ARTIFACTS_DIR)/bootstrap \
		./functions/$(shell echo '$@' | sed -e 's/^build-//' -e 's/Function$$//' | tr A-Z a-z)

run: ## the whole pipeline locally: API on 127.0.0.1:3000, localcloud on 127.0.0.1:4566 (RUN_FLAGS=... for more)
	@[ -e bin/eventchain ] || echo "building eventchain (the first build compiles the AWS SDK's EC2 client: a few minutes)..."
	$(GO) build -o bin/eventchain ./cmd/eventchain
	./bin/eventchain run --exit-with-parent $(RUN_FLAGS)

test: ## all tests, with the race detector
	$(GO) test -race -count=1 ./...

lint: ## gofmt, vet, staticcheck, go mod tidy unchanged
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

validate: ## the template's rules (errors; warnings too on its defaults), then cfn-lint
	$(GO) run ./cmd/eventchain validate template.yaml

invoke: ## invoke one function with an event under the Lambda Runtime Interface Emulator, as sam local invoke does: make invoke FN=ApiFunction EVENT=events/api-post.json (INVOKE_FLAGS=... for more)
	@[ -n "$(FN)" ] || { echo "usage: make invoke FN=<LogicalId> [EVENT=events/<fixture>.json] [INVOKE_FLAGS='--arch arm64 …']"; exit 2; }
	@[ -e bin/eventchain ] || echo "building eventchain (the first build compiles the AWS SDK's EC2 client: a few minutes)..."
	$(GO) build -o bin/eventchain ./cmd/eventchain
	./bin/eventchain invoke $(strip $(if $(EVENT),-e $(EVENT)) $(INVOKE_FLAGS)) $(FN)

events: ## regenerate the invoke fixtures of events/ from their commands (eventchain event fixtures --list prints them)
	$(GO) run ./cmd/eventchain event fixtures --dir events

docs: ## regenerate docs/events.md from the event catalog
	$(GO) run ./cmd/eventchain docs > docs/events.md.new && mv docs/events.md.new docs/events.md

bench: ## measurements into bench/results.json, results.md, rate-limit.png (rate limit vs the naive design, accept latency, end to end, cold starts, cost; BENCH_FLAGS=... for go run ./bench -h), then localcloud vs moto_server and the handlers' benchmarks; BENCH_QUICK=1: a short run of the measurements only, into bench/quick
	$(GO) run ./bench $(if $(filter-out 0,$(BENCH_QUICK)),-quick) $(BENCH_FLAGS)
ifeq ($(filter-out 0,$(BENCH_QUICK)),)
	$(GO) test -run '^$$' -bench 'BenchmarkWorkloads|BenchmarkDynamoDB' -benchtime 2000x -v ./infra/localcloud/ | grep -E '^(Benchmark|\s+(dynamodb_)?bench_test|ok|FAIL)|×'
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./infra/localcloud/sqs/
endif

LOAD_N ?= 10000

load: ## LOAD_N launches (10,000) through the local mode: none lost, none launched twice, all RUNNING; prints duration, launches/s, peak RSS
	LOAD_N=$(LOAD_N) $(GO) test -count=1 -timeout 60m -run '^TestLoad$$' -v ./infra/local/

load-ci: ## the load run CI makes: 1,000 launches
	$(MAKE) load LOAD_N=1000

deploy: ## sam build (the build-<LogicalId> targets) and sam deploy with samconfig.toml; needs AWS credentials and the SAM CLI
	sam build
	sam deploy

clean: ## remove build outputs: .aws-sam/build and bin/
	rm -rf $(BUILD_DIR) bin
