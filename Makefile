# SPDX-License-Identifier: MIT
# Convenience wrapper around CMake. The README's two commands:
#   sh scripts/install-deps.sh && make run           build and run on the defaults
#   sh scripts/install-deps.sh --test && make test   build and run every test
# (without --test, install-deps.sh installs only what building and running
# need, and the tests are not built: make test then stops at "no tests").
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
ARGS ?=
# make install: GNU conventions, e.g. make install DESTDIR=/tmp/stage PREFIX=/usr
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all build run install test test-fast test-asan e2e soak bench demo clean

all: build

build:
	cmake -S . -B $(BUILD) -DSOCKSWITCH_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

# Run the switch in the foreground on its embedded defaults.
run: build
	./$(BUILD)/switch/sockswitch $(ARGS)

# Binaries, man pages, systemd user units, bash completion, docs and
# example configs under $(DESTDIR)$(PREFIX) (docs/install.md).
install: build
	DESTDIR='$(DESTDIR)' cmake --install $(BUILD) --prefix '$(PREFIX)'

# Every test, twice: the normal build (warnings are errors), then the
# ASan+UBSan build. Leaks fail the run (abort_on_error).
test: test-fast test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error --timeout 900

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DSOCKSWITCH_WERROR=ON -DSOCKSWITCH_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure --no-tests=error --timeout 900

e2e: build
	cd $(BUILD) && ctest --output-on-failure -L e2e

# Soak (docs/testing.md): every kind of client, churn, reloads, captures
# and impairment on one switch for SOAK_SECONDS; fds and RSS flat, every
# frame received or counted. `ctest -R soak` runs a 25-second version.
SOAK_SECONDS ?= 300
soak: build
	python3 tests/soak/soak.py $(BUILD)/switch/sockswitch \
		$(BUILD)/plug/sockswitchctl $(BUILD)/plug/sockswitch-plug \
		$(SOAK_SECONDS)

bench:
	bash bench/run.sh

demo: build
	bash scripts/demo.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
