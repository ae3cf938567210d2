# Makefile: README's two commands. Each works on a fresh Debian 12 machine:
# scripts/setup installs whatever packages are missing first.
#
#   make run    build the release configuration (BUILD_ROOT/release,
#               RelWithDebInfo, tests off) and run the examples against
#               DATA (default ./snapstore-data; `make run DATA=/path`);
#               example_durable keeps its store in DATA/durable, so a second
#               `make run` finds the first run's data
#   make test   scripts/test: release, asan and tsan builds and their tests,
#               then the fuzz targets for a few seconds each
#               (SNAPSTORE_TEST_STAGES=release,asan,tsan,fuzz picks a subset)

DATA ?= ./snapstore-data
BUILD_ROOT ?= build
JOBS ?= 2
export BUILD_ROOT JOBS

RELEASE_DIR := $(BUILD_ROOT)/release
EXAMPLES := basic intermediate advanced durable

.PHONY: run test

run:
	scripts/setup
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSNAPSTORE_SANITIZE= \
	  -DSNAPSTORE_BUILD_TESTS=OFF -DSNAPSTORE_BUILD_EXAMPLES=ON
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target $(addprefix example_,$(EXAMPLES))
	@set -e; for example in $(EXAMPLES); do \
	  printf '\n======== example_%s %s ========\n' "$$example" "$(DATA)"; \
	  $(RELEASE_DIR)/examples/example_$$example "$(DATA)"; \
	done

test:
	scripts/test
