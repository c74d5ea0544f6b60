# The two commands: `make up` (install what is missing, build, run the whole
# suite on 127.0.0.1, the web app at /) and `make test` (unit tests plain and
# under ASan/UBSan, a short fuzzing run of every parser, the web app's unit
# tests, then system tests and the browser suite against a real stack of
# its own).
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
JOBS ?= 2
WERROR ?= OFF

.PHONY: all deps tools build web web-unit up down status logs test unit unit-asan fuzz-build fuzz \
	fuzz-smoke system bench images k8s deploy-test clean

all: build

deps:
	@scripts/install-deps.sh

# daprd and Sentry (built once from the Go module proxy) and the Kafka jars (Maven
# Central), both cached outside the repo.
tools: deps
	@scripts/build-daprd.sh >/dev/null
	@scripts/build-sentry.sh >/dev/null
	@scripts/fetch-kafka.sh >/dev/null

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DTODO_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The web app (web/dist), served by api-gateway at / (WEB_ROOT).
web:
	@scripts/build-web.sh

# Its unit tests (Vitest).
web-unit:
	@scripts/build-web.sh --deps
	@cd web && npx --no-install vitest run

up: build tools web
	@STACK_PROFILE=dev scripts/stack.sh up

down:
	@STACK_PROFILE=dev scripts/stack.sh down

status:
	@STACK_PROFILE=dev scripts/stack.sh status

logs:
	@STACK_PROFILE=dev scripts/stack.sh logs

unit: build
	@cd $(BUILD) && ctest -L unit --output-on-failure -j $(JOBS)

unit-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DTODO_WERROR=$(WERROR) -DTODO_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest -L unit --output-on-failure -j $(JOBS)

# libFuzzer targets of the parsers (clang, ASan + UBSan) in a build of
# their own; see the fuzz section of README.md. `make fuzz` runs each for
# FUZZ_SECONDS (only FUZZ_TARGETS, when given), growing a corpus kept in
# $(FUZZ_BUILD)/corpus; `make test` runs each for 5 s from its seeds only,
# in a scratch folder.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang -DTODO_FUZZ=ON \
		-DTODO_WERROR=$(WERROR) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz

fuzz: fuzz-build
	@FUZZ_JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) keep $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@FUZZ_JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_BUILD) 5 scratch

# pytest, then the web app's browser suite (web/e2e) on the same stack.
system: build tools web
	@scripts/system-tests.sh

# Reminder lateness on a stack of its own, beside a reference measured in
# the same run (bench/README.md). Not part of `make test`.
bench: build tools
	@bench/run.sh

# Deployment (README.md, "Deployment"): every image on a Docker engine of
# our own; k8s/ rendered from the chart per environment; the proof: the
# suite in containers under docker compose with the spine run against it,
# and the chart installed per environment into a real kube-apiserver.
images:
	@scripts/deploy/images.sh >/dev/null

k8s:
	@scripts/deploy/render-k8s.sh

deploy-test: deps
	@scripts/deploy-test.sh

test:
	@$(MAKE) --no-print-directory WERROR=ON unit
	@$(MAKE) --no-print-directory WERROR=ON unit-asan
	@$(MAKE) --no-print-directory WERROR=ON fuzz-smoke
	@$(MAKE) --no-print-directory web-unit
	@$(MAKE) --no-print-directory WERROR=ON system
	@$(MAKE) --no-print-directory deploy-test

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) web/dist web/build
