# parcours — every target is used by CI or the README.
GO      ?= go
# node_modules/.bin first: the npm package node@22 supplies the Node the
# JavaScript test peers (aws-local-stepfunctions, asl-validator) need.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# One Lambda per functions/<name>; template.yaml calls it <Name>Function.
FUNCTIONS := ingest router send unsubscribe feedback
BUILD_DIR := build
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all dev demo test test-go build lint fmt statemachines bench fuzz loadtest deploy clean npm \
	build-IngestFunction build-RouterFunction build-SendFunction build-UnsubscribeFunction build-FeedbackFunction

all: lint test

## dev: run the product locally (embedded DynamoDB, no AWS account, no Docker)
dev:
	$(GO) run ./cmd/parcours dev

## demo: replay a scripted story of five customers through the dev stack (docs/dev.md)
demo:
	$(GO) run ./cmd/parcours demo

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

## build: every Lambda for linux/arm64 into build/<name>/bootstrap (what sam build does, without sam)
build:
	@for f in $(FUNCTIONS); do echo "build $$f"; $(LAMBDA_BUILD) -o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f || exit 1; done

# SAM's makefile build method: `sam build` runs make build-<LogicalId> with
# ARTIFACTS_DIR set; the bootstrap binary it leaves there is the function.
# internal/samtemplate builds each of them and checks the ELF is arm64.
build-IngestFunction:
	$(call lambda,ingest)
build-RouterFunction:
	$(call lambda,router)
build-SendFunction:
	$(call lambda,send)
build-UnsubscribeFunction:
	$(call lambda,unsubscribe)
build-FeedbackFunction:
	$(call lambda,feedback)

lambda = $(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: sam build sets it; by hand use make build))$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(1)

bench: npm
	$(GO) run ./cmd/benchreport -out docs/benchmarks.md

## loadtest: drive an in-process dev stack with signed webhooks, without then
## with injected faults, and fail on any loss (docs/reliability.md)
## (LOADTEST_FLAGS="--webhooks 2000 --profiles 200" for a shorter run)
LOADTEST_FLAGS ?= --webhooks 50000 --profiles 5000 --concurrency 64
loadtest:
	$(GO) run ./cmd/parcours loadtest $(LOADTEST_FLAGS) --seed 1
	$(GO) run ./cmd/parcours loadtest $(LOADTEST_FLAGS) --seed 1 --faults 0.05

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzShopify$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzWooCommerce$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzStandard$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/journey
	$(GO) test -run '^$$' -fuzz '^FuzzPath$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/asl
	$(GO) test -run '^$$' -fuzz '^FuzzIntrinsic$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/asl
	$(GO) test -run '^$$' -fuzz '^FuzzHTMLMatchesHTMLTemplate$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/mail
	$(GO) test -run '^$$' -fuzz '^FuzzCheckDepth$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzTime$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzUnquote$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/touchpoint
	$(GO) test -run '^$$' -fuzz '^FuzzParseAmount$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/profile
	$(GO) test -run '^$$' -fuzz '^FuzzRespond$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/ingest
	$(GO) test -run '^$$' -fuzz '^FuzzAppendCount$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/emf
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/asl
	$(GO) test -run '^$$' -fuzz '^FuzzStringToJSONBound$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/asl
	$(GO) test -run '^$$' -fuzz '^FuzzPayloadSize$$' -fuzztime $(or $(FUZZTIME),20s) ./internal/asl

## deploy: sam build + sam deploy (the first time: sam deploy --guided; docs/deploy.md)
## (make deploy ENV=prod uses samconfig.toml's [prod] section)
deploy:
	sam build $(if $(ENV),--config-env $(ENV))
	sam deploy $(if $(ENV),--config-env $(ENV))

clean:
	rm -rf $(BUILD_DIR) .aws-sam node_modules
