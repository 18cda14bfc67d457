# cognito-mfa-enforcer. `make test` is the test command; `sam build` calls
# the build-<LogicalId> targets (BuildMethod: makefile, CodeUri: .).

GOARCH ?= arm64
ARTIFACTS_DIR ?= build/$(FUNCTION)
HOST_ARCH := $(shell go env GOARCH)
FUNCTIONS := DriftFunction SweepFunction TriggerFunction SignInCheckFunction
GO_BUILD = GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w"
PYTHON ?= python3
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: doctor build test unit lint confirm-account policy-check package demo-org invoke invoke-moto attach detach bench moto demo $(addprefix build-,$(FUNCTIONS))

build-DriftFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/drift

build-SweepFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep

build-TriggerFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/trigger

build-SignInCheckFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/signin

# Every function for the host, under build/<LogicalId>/bootstrap.
build:
	@for f in $(FUNCTIONS); do $(MAKE) -s build-$$f ARTIFACTS_DIR=build/$$f GOARCH=$(HOST_ARCH) || exit 1; done

# The member stack for an AWS Organizations StackSet: plain CloudFormation
# (no Transform) reading code from S3, and the arm64 zips (docs/organisation.md, "Rolling
# out to an organisation").
package:
	go run ./pkg/dev/pack/cmd/pack -out build/package

# Validate a policy document with the functions' own loader, before it is
# published: make policy-check FILE=policy.json [PARAMETER=1: for an SSM
# parameter, the functions' environment size only noted]
policy-check:
	@test -n "$(FILE)" || { echo "usage: make policy-check FILE=policy.json" >&2; exit 2; }
	go run ./pkg/dev/policycheck/cmd/policy-check $(if $(PARAMETER),-parameter) $(FILE)

# Every prerequisite in one run: names each one missing or too old and how
# to install it (exit status 1 when a required one is).
doctor:
	go run ./pkg/dev/doctor/cmd/doctor

# moto[server] is the local AWS the integration tests start; install it
# where it is missing.
moto:
	@$(PYTHON) -c 'import moto.server, werkzeug' 2>/dev/null || { \
	  echo "moto[server] not found: installing it with pip"; \
	  $(PYTHON) -m pip install --quiet 'moto[server]' || { echo "cannot install moto[server]: the integration tests need it (pip install 'moto[server]')" >&2; exit 1; }; }

# The main job, locally: moto, drifted pools, the built functions.
demo: moto
	go run ./pkg/dev/demo/cmd/demo

# An organisation, locally: a hub account and two members in one moto.
demo-org: moto
	go run ./pkg/dev/demo/cmd/demo-org

# Unit tests only: no Python, no moto, a few seconds.
unit:
	go test -short -count=1 ./...

test: moto
	cfn-lint template.yaml
	go test -count=1 -parallel 4 -timeout 8m ./...
	go test -count=1 -race ./pkg/sweep/ ./pkg/trigger/ ./pkg/signin/ ./pkg/dev/localinvoke/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go mod tidy -diff
	go run $(STATICCHECK) ./...
	cfn-lint template.yaml

# make invoke FUNCTION=DriftFunction EVENT=events/drift-update-user-pool.json
# [ARGS="-param ExistingFindingsBusName=bus -env LOG_LEVEL=DEBUG"] (harness only)
invoke:
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json" >&2; exit 2; }
	@$(MAKE) -s confirm-account
	@if command -v sam >/dev/null 2>&1; then \
	  sam build $(FUNCTION) && sam local invoke $(FUNCTION) --event $(EVENT); \
	else \
	  $(MAKE) -s build-$(FUNCTION) ARTIFACTS_DIR=build/$(FUNCTION) GOARCH=$(HOST_ARCH) && \
	  go run ./pkg/dev/localinvoke/cmd/localinvoke -function $(FUNCTION) -binary build/$(FUNCTION)/bootstrap -event $(EVENT) $(ARGS); \
	fi

# Without AWS_ENDPOINT_URL the functions act on the real account the
# credentials reach (in enforce mode they write): refuse unless
# CONFIRM_AWS_ACCOUNT names that account.
confirm-account:
	@if [ -z "$$AWS_ENDPOINT_URL" ]; then \
	  acct=$$(aws sts get-caller-identity --query Account --output text 2>/dev/null); \
	  if [ -z "$$acct" ] || [ "$$acct" != "$(CONFIRM_AWS_ACCOUNT)" ]; then \
	    echo "make invoke acts on real AWS: account $${acct:-unknown (no credentials found)}; in enforce mode it writes its pools." >&2; \
	    echo "Run again with CONFIRM_AWS_ACCOUNT=$${acct:-<account ID>}, or use make invoke-moto (or set AWS_ENDPOINT_URL) for a local AWS." >&2; \
	    exit 2; \
	  fi; \
	fi

# make invoke-moto FUNCTION=DriftFunction EVENT=events/drift-update-user-pool.json:
# the harness against a fresh moto with the event's pool (and user) seeded at MFA OFF.
invoke-moto: moto
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke-moto FUNCTION=<LogicalId> EVENT=events/<file>.json" >&2; exit 2; }
	@$(MAKE) -s build-$(FUNCTION) ARTIFACTS_DIR=build/$(FUNCTION) GOARCH=$(HOST_ARCH)
	go run ./pkg/dev/localinvoke/cmd/localinvoke -moto -function $(FUNCTION) -binary build/$(FUNCTION)/bootstrap -event $(EVENT) $(ARGS)

# Attach the enforcer's trigger (the stack's TriggerFunctionArn output) to
# pools as their PreAuthentication and PostAuthentication triggers, or detach
# it, keeping every other setting (docs/operations.md, "Attaching the trigger
# to existing pools, safely"):
# make attach POOLS=us-east-1_x,us-east-1_y|ALL=1 ARN=<TriggerFunctionArn> [APPLY=1]
# Report mode unless APPLY=1; APPLY=1 on real AWS asks for CONFIRM_AWS_ACCOUNT.
attach detach:
	@test -n "$(ARN)" -a \( -n "$(POOLS)" -o -n "$(ALL)" \) || { echo "usage: make $@ POOLS=<pool ID>,<pool ID>|ALL=1 ARN=<TriggerFunctionArn> [APPLY=1]" >&2; exit 2; }
	@if [ -n "$(APPLY)" ]; then $(MAKE) -s confirm-account; fi
	go run ./pkg/dev/attach/cmd/attach -$@ '$(ARN)' $(if $(POOLS),-pools '$(POOLS)') $(if $(ALL),-all) $(if $(APPLY),-apply)

# Benchmarks report ratios against a floor measured in the same run.
bench:
	go test -run '^$$' -bench . -benchmem ./pkg/trigger/
	go test -run '^$$' -bench . -benchtime 60x ./pkg/drift/
	go test -run '^$$' -bench . -benchtime 3x ./pkg/pace/
	go test -run '^$$' -bench . -benchtime 1x -benchmem ./pkg/sweep/
	go test -run '^$$' -bench . -benchtime 1x -timeout 20m ./pkg/signin/
	go test -run '^$$' -bench . -benchtime 1x -benchmem ./pkg/coverage/
