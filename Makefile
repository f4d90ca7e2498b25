# parcours — every target is used by CI or the README.
GO      ?= go
# node_modules/.bin first: the npm package node@22 supplies the Node the
# JavaScript test peers (aws-local-stepfunctions, asl-validator) need.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

FUNCTIONS := ingest
BUILD_DIR := build
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all dev test test-go build lint fmt statemachines bench fuzz deploy clean npm \
	$(addprefix build-,IngestFunction)

all: lint test

## dev: run the product locally (embedded DynamoDB, no AWS account, no Docker)
dev:
	$(GO) run ./cmd/parcours dev

## test: everything CI checks
test: npm
	$(GO) vet ./...
	$(GO) run ./cmd/parcours compile --check
	$(GO) test -race -count=1 ./...

## npm: the pinned JavaScript test peers, from package-lock.json
npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	node --version
	touch $@

## lint: gofmt, go vet, staticcheck (pinned as a go tool)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## statemachines: compile journeys/*/journey.yaml to statemachines/*.asl.json
statemachines:
	$(GO) run ./cmd/parcours compile

## build: every Lambda for linux/arm64 into build/<name>/bootstrap
build:
	@for f in $(FUNCTIONS); do echo "build $$f"; $(LAMBDA_BUILD) -o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f || exit 1; done

# SAM's makefile build method: sam build calls build-<LogicalId> with ARTIFACTS_DIR.
build-IngestFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ingest

bench: npm
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	@echo "fuzz targets: see docs (go test -fuzz)"

deploy:
	sam build
	sam deploy

clean:
	rm -rf $(BUILD_DIR) .aws-sam node_modules
