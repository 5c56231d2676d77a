# trainsim: the two commands are `make run` and `make test` (see README.md).
#   make run        install missing Debian packages, build (Release), run the default scenario
#   make test       same set-up (and Chromium for the dashboards' browser test), then every test
#   make test-asan  build with AddressSanitizer + UndefinedBehaviorSanitizer and run every test
#                   (-O1 with line tables only, test code -O0, no benchmarks: CI builds it from
#                   scratch)
#   make bench      build and run the benchmarks in bench/
# New build folders use Ninja (scripts/install-deps installs ninja-build): it starts each file as
# soon as its inputs exist, where CMake's Makefiles wait for whole targets. A folder already
# configured keeps its generator.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
TRAINSIM  := $(BUILD_DIR)/bin/trainsim
generator = $(if $(wildcard $(1)/CMakeCache.txt),,-G Ninja)

.PHONY: all deps deps-test configure build run test test-asan bench format clean

all: build

deps:
	scripts/install-deps

# The tests also need Chromium (the dashboards' browser test).
deps-test:
	scripts/install-deps --test

configure: deps
	cmake -S . -B $(BUILD_DIR) $(call generator,$(BUILD_DIR)) -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# The main job: one training step of the default scenario (scenarios/default.yaml), its report.
run: build
	$(TRAINSIM) run

test: deps-test build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

test-asan: deps-test
	cmake -S . -B $(ASAN_DIR) $(call generator,$(ASAN_DIR)) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTRAINSIM_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DTRAINSIM_BENCH=OFF
	cmake --build $(ASAN_DIR) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD_DIR)/bin/engine_bench
	$(BUILD_DIR)/bin/compute_bench
	$(BUILD_DIR)/bin/network_bench
	$(BUILD_DIR)/bin/scale_bench
	$(BUILD_DIR)/bin/simgrid_bench 256 2048
	$(BUILD_DIR)/bin/service_bench

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
