# faustgen — developer targets. `make help` lists them.
GO ?= go

.PHONY: help test test-unit generate check-generated demo bench lint services-up services-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

test: test-unit ## every test: unit, golden, embedded, then the real services
	@echo "make test: real-service tests are not wired yet"

test-unit: ## go test ./... (no network beyond loopback, no services)
	$(GO) test ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'd:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
