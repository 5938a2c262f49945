# faustgen — developer targets. `make help` lists them.
GO ?= go

.PHONY: help test test-unit test-integration soak generate check-generated demo demo-orders bench bench-vs lint services-up services-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

test: test-unit ## every test: lint, unit, golden, embedded, then the real services
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-integration

test-unit: ## go test ./... (no services; includes the examples-are-current check, TestExamplesAreCurrent)
	bash scripts/python-avro.sh
	$(GO) test ./...

test-integration: ## go test -tags integration ./... on real Kafka + Apicurio (started if not running, then stopped)
	bash scripts/python-avro.sh
	bash scripts/services/with-services.sh $(GO) test -tags integration -count=1 ./...

soak: ## the long crash runs: 30-cycle rebalance storms (SIGTERM/SIGKILL; at-least-once and exactly-once) and 20 kills of an exactly-once count over 1M records, on kfake, then on the real services (make test runs 4 cycles, 4 kills over 50k)
	FAUSTGEN_STORM_CYCLES=30 FAUSTGEN_EOS_KILLS=20 FAUSTGEN_EOS_RECORDS=1000000 $(GO) test -count=1 -run 'RebalanceStorm|Expelled|StaticMember|ExactlyOnceCountsSurviveRepeatedSIGKILLs' -timeout 60m -v ./runtime/internal/engine/
	FAUSTGEN_STORM_CYCLES=30 FAUSTGEN_EOS_KILLS=20 FAUSTGEN_EOS_RECORDS=1000000 bash scripts/services/with-services.sh $(GO) test -tags integration -count=1 -run 'RebalanceStorm|Expelled|StaticMember|ExactlyOnceCountsSurviveRepeatedSIGKILLs' -timeout 60m -v ./runtime/internal/engine/

generate: ## regenerate examples/generated from the example topologies (go generate)
	$(GO) generate ./examples/...

check-generated: ## fail when examples/generated is stale (faustgen diff on every example topology; go test runs the same check)
	@rc=0; for f in examples/*/faustgen.yaml; do $(GO) run ./cmd/faustgen diff -f $$f || rc=1; done; exit $$rc

demo: generate ## run the page-views example on the embedded dev cluster (in-process Kafka + registry)
	$(GO) run ./examples/pageviews/demo

demo-orders: generate ## run the orders example exactly-once on the embedded dev cluster: per-customer totals, read back read_committed
	$(GO) run ./examples/orders/demo

bench: ## every benchmark with a ratio to a ceiling measured in the same run, then a summary table (a few minutes; not part of test)
	bash scripts/bench.sh

bench-vs: ## one runtime benchmark of the tree against an earlier revision, alternating (REV=..., BENCH=StatelessAgentOnly, METRIC=agent-rec/s, ROUNDS=4)
	bash scripts/bench-vs.sh

services-up: ## start real Kafka + Apicurio Registry on 127.0.0.1 (fetched with Maven on first use)
	bash scripts/services/start.sh

services-down: ## stop the services that services-up started
	bash scripts/services/stop.sh

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet and staticcheck (pinned, fetched by go run)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'd:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
