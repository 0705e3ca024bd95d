# metagrad convenience targets. The real build is Meson; this only wraps it.
MESON ?= meson

BUILD_DIR := build
# One clang ASan/UBSan build serves `make sanitize` (the test suite) and `make fuzz` (libFuzzer
# targets, -Dfuzz=true): clang compiles it in about 60 % of GCC's time, and the library is compiled
# once for both.
SANITIZE_DIR := build-sanitize
# Seconds each libFuzzer target runs in `make fuzz`.
FUZZ_SECONDS ?= 60
TSAN_DIR  := build-tsan

DEB_PKGS := meson ninja-build pkg-config g++ libeigen3-dev libfmt-dev catch2 \
            nlohmann-json3-dev graphviz hershey-fonts-data \
            zlib1g-dev dataset-fashion-mnist cmake clang-format clang libclang-rt-14-dev doxygen \
            libopenmpi-dev openmpi-bin

# The library's -march default is portable; the release build here (tests, `make demo`,
# `make bench`) targets x86-64-v3 (AVX2 + FMA, about twice Eigen's GEMM speed) when this CPU has
# it. Override with `make MARCH=` (portable) or another -march value.
MARCH ?= $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | \
           grep -cxE 'avx2|fma|bmi2' | grep -qx 3 && echo x86-64-v3)

FORMAT_DIRS := engine optim implicit cuda tests bench examples

# The library's C++ files compile in unity files of four (-Dunity=on; the tests keep one object
# per file, tests/meson.build): about 30 % less compile time on a fresh build, which is what CI
# and `make demo` on a new machine run, for a slower rebuild after editing one library file.
# `make UNITY=off` configures a build directory without it.
UNITY ?= on

# The CUDA toolkit's usual home: the release build compiles the CUDA backend with its nvcc when it
# is there (-Dcuda=auto). The sanitizer builds leave it out (-Dcuda=disabled): the CUDA
# runtime is not instrumented, and the tests there run the CUDA kernels on the host emulation.
# They leave out MPI too (-Dmpi=disabled): Open MPI is not instrumented and LeakSanitizer reports
# its process-lifetime allocations; the distributed tests run there as a world of one rank, and
# under mpirun in the release build.
export PATH := $(PATH):/usr/local/cuda/bin

.PHONY: all deps configure configured build demo test bench docs format format-check sanitize fuzz tsan clean

all: build

# Install only the Debian packages that are missing; silent when all are present.
deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; \
	  if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi; \
	  echo "Installing missing packages:$$missing"; \
	  $$SUDO apt-get update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

$(BUILD_DIR)/build.ninja:
	$(MESON) setup $(BUILD_DIR) --buildtype=release -Dmarch=$(MARCH) -Dunity=$(UNITY)

configure: $(BUILD_DIR)/build.ninja

# A build directory configured earlier (or by hand) is brought to this MARCH before compiling.
configured: deps
	@$(MAKE) --no-print-directory configure
	@current=$$($(MESON) introspect --buildoptions $(BUILD_DIR) | python3 -c \
	  'import json, sys; print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "march"), "?"))'); \
	if [ "$$current" != "$(MARCH)" ]; then \
	  echo "$(BUILD_DIR): -Dmarch=$(MARCH) (was '$$current')"; \
	  $(MESON) setup --reconfigure $(BUILD_DIR) -Dmarch=$(MARCH); \
	fi

build: configured
	$(MESON) compile -C $(BUILD_DIR)

DEMO_OUT := $(BUILD_DIR)/demo

# The autodiff tour (seconds), then the main job: MAML few-shot meta-training (about 12 minutes on
# 2 cores), which writes maml-accs.svg and maml-log.csv to $(DEMO_OUT).
# Only what the demo runs is compiled (the library and two programs, not the tests).
DEMO_TARGETS := examples/autodiff_tour examples/maml_omniglot

demo: configured
	$(MESON) compile -C $(BUILD_DIR) $(DEMO_TARGETS)
	./$(BUILD_DIR)/examples/autodiff_tour
	./$(BUILD_DIR)/examples/maml_omniglot --out $(DEMO_OUT)

test: build
	$(MESON) test -C $(BUILD_DIR) --print-errorlogs

bench: build
	bash bench/run_all.sh

# The documentation site (Doxygen, README "Documentation"): the API reference of the public headers,
# the tutorials (with the output of the tutorial programs already built in $(BUILD_DIR)), the
# examples gallery and the TorchOpt name map, written to $(BUILD_DIR)/docs/html/index.html.
# Configuration and pages: tests/docs/. Warnings are listed here; the `docs` test fails on them.
docs: deps
	python3 tests/docs/build_docs.py --out $(BUILD_DIR)/docs --build-dir $(BUILD_DIR)

# Pathspecs are quoted so git (not the shell) expands them; `*` also matches '/'.
FORMAT_SPECS := $(foreach d,$(FORMAT_DIRS),'$(d)/*.hpp' '$(d)/*.cpp' '$(d)/*.cu' '$(d)/*.cuh') \
                metagrad.hpp

format:
	git ls-files -z -- $(FORMAT_SPECS) | xargs -0 -r clang-format -i

# The same files as `format`, changed nowhere: fails listing every line clang-format would change.
format-check:
	git ls-files -z -- $(FORMAT_SPECS) | xargs -0 -r clang-format --dry-run --Werror

# The clang ASan/UBSan build: -O1, the tests and the fuzz targets (-Dfuzz=true adds libFuzzer's
# coverage instrumentation to every object; the tests link without libFuzzer's main). CUDA and MPI
# are left out (see above).
$(SANITIZE_DIR)/build.ninja:
	CXX=clang++ $(MESON) setup $(SANITIZE_DIR) --buildtype=plain -Doptimization=1 -Dunity=$(UNITY) \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true -Dbench=false -Dexamples=false \
	  -Dcuda=disabled -Dmpi=disabled

sanitize: deps
	@$(MAKE) --no-print-directory $(SANITIZE_DIR)/build.ninja
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MESON) test -C $(SANITIZE_DIR) --print-errorlogs

# libFuzzer on the file readers (tests/fuzz), in the sanitizer build: each target for
# FUZZ_SECONDS; non-zero exit when a target crashes or lets anything but metagrad::Error escape.
fuzz: deps
	@$(MAKE) --no-print-directory $(SANITIZE_DIR)/build.ninja
	$(MESON) compile -C $(SANITIZE_DIR)
	bash tests/fuzz/run_fuzzers.sh $(SANITIZE_DIR) $(FUZZ_SECONDS)

# ThreadSanitizer: only the library and the thread tests are built, with clang at -O1 and debug
# info (the race reports keep their file and line; -O2 would cost CI minutes for nothing). libgomp
# is not instrumented (its barriers would show as races), so OpenMP is off in this build.
$(TSAN_DIR)/build.ninja:
	CXX=clang++ $(MESON) setup $(TSAN_DIR) --buildtype=plain -Doptimization=1 -Ddebug=true -Dunity=$(UNITY) \
	  -Db_sanitize=thread -Db_lundef=false \
	  -Dopenmp=disabled -Dbench=false -Dexamples=false -Dcuda=disabled -Dmpi=disabled

TSAN_TARGETS := tests/threads/tsan_stress tests/threads/threads_tests

tsan: deps
	@$(MAKE) --no-print-directory $(TSAN_DIR)/build.ninja
	$(MESON) compile -C $(TSAN_DIR) $(TSAN_TARGETS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  $(MESON) test -C $(TSAN_DIR) --no-rebuild --suite threads --print-errorlogs

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(TSAN_DIR)
