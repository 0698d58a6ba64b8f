# swift-convnet — the two commands that work on a fresh machine:
#   make demo   build in release mode and run the main job
#   make test   build in release mode and run every test
SWIFT ?= swift
CONVNET := .build/release/convnet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev libturbojpeg0-dev pkg-config openmpi-bin libopenmpi-dev

.PHONY: demo test deps build bench bench-inference onnx-conformance fuzz fuzz-build fuzz-smoke fuzz-corpus drills soak test-asan tsan clean

## Installs the system libraries the build links (OpenBLAS, oneDNN, zlib, libpng, TurboJPEG; Open MPI for
## data-parallel training) when they are missing.
deps:
ifeq ($(shell uname -s),Linux)
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi
endif

build: deps
	$(SWIFT) build -c release --product convnet

## The main job: train LeNet-5 on the MNIST copy in Datasets/mnist and report test accuracy (--overwrite: a
## second `make demo` replaces the first run).
demo: build
	$(CONVNET) train --model lenet5 --dataset mnist --epochs 5 --batch-size 64 \
		--optimizer sgd --lr 0.01 --momentum 0.9 --seed 0 --out runs/demo --overwrite

## Every test, in a release build (numeric code is tested as it runs). The PyTorch golden cases come from
## ../shared/golden and ../shared/golden-next beside the package ($CONVNET_GOLDEN_DIR, $CONVNET_GOLDEN_NEXT_DIR
## override them; .ci/run sets neither).
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

## Our figures beside PyTorch's (docs/performance.md's tables; TORCH_PYTHON: a python with torch and torchvision).
bench: build
	@bash Benchmarks/conv_table.sh $(CONVNET) --with-torch
	@bash Benchmarks/model_table.sh $(CONVNET) --with-torch
	@bash Benchmarks/lenet_epoch_pairs.sh $(CONVNET) 6 4

## Inference beside onnxruntime (pip: torch, torchvision, onnx, onnxruntime), frozen models, 3 rounds.
bench-inference: build
	@bash Benchmarks/inference_table.sh $(CONVNET) 3

## ONNX's backend node tests on the importer: a venv (onnx, numpy, onnxruntime) writes them once into
## .build-onnx/node (and our extra 2-D float cases into .build-onnx/extra); `convnet onnx-conformance` runs
## them, prints pass / fail / unsupported per operator and writes docs/onnx-conformance.md.
ONNX_DIR := .build-onnx
ONNX_PYTHON := $(ONNX_DIR)/venv/bin/python
onnx-conformance: build
	@test -x $(ONNX_PYTHON) || { python3 -m venv $(ONNX_DIR)/venv && $(ONNX_PYTHON) -m pip install -q onnx==1.23.2 numpy onnxruntime; }
	@test -d $(ONNX_DIR)/node || { rm -rf $(ONNX_DIR)/partial && $(ONNX_PYTHON) Tools/onnx_node_tests.py $(ONNX_DIR)/partial && mv $(ONNX_DIR)/partial $(ONNX_DIR)/node; }
	@test -d $(ONNX_DIR)/extra || { rm -rf $(ONNX_DIR)/partial && $(ONNX_PYTHON) Tools/onnx_extra_node_tests.py $(ONNX_DIR)/partial && mv $(ONNX_DIR)/partial $(ONNX_DIR)/extra; }
	$(CONVNET) onnx-conformance $(ONNX_DIR)/extra
	$(CONVNET) onnx-conformance $(ONNX_DIR)/node --markdown docs/onnx-conformance.md

## libFuzzer with AddressSanitizer, one target per parser of outside bytes (Fuzz/Package.swift lists
## them; the C decoders also with UBSan), each run for FUZZ_SECONDS (default 60; or FUZZ_LIMIT=-runs=N) from a scratch copy
## of its committed seed corpus Fuzz/Corpus/<target>. An allocation over FUZZ_MALLOC_MB, RSS over
## 2 GB, a trap, a leak or an input slower than 10 s is a finding (the input lands in .build-fuzz/).
FUZZ_SECONDS ?= 60
FUZZ_LIMIT ?= -max_total_time=$(FUZZ_SECONDS)
FUZZ_MALLOC_MB ?= 1024
FUZZ_TARGETS := IDX Gzip SafeTensors Checkpoint CIFAR Augment Image ONNX
FUZZ_DIR := .build-fuzz
FUZZ_FLAGS = -rss_limit_mb=2048 -malloc_limit_mb=$(FUZZ_MALLOC_MB) -timeout=10 -max_len=65536 -print_final_stats=1
fuzz-build: deps
	$(SWIFT) build -c release --package-path Fuzz --scratch-path $(FUZZ_DIR)/swift \
		-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
	clang -g -O1 -fuse-ld=lld -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -ISources/CImageCodecs/include \
		Sources/CImageCodecs/*.c Tools/fuzz/decode_fuzzer.c -lpng -lturbojpeg -lpthread -o $(FUZZ_DIR)/decode_fuzzer

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS) decode; do \
		rm -rf $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
		if [ $$t = decode ]; then seeds=Fuzz/Corpus/Image; bin=$(FUZZ_DIR)/decode_fuzzer; \
		else seeds=Fuzz/Corpus/$$t; bin=$(FUZZ_DIR)/swift/release/Fuzz$$t; fi; \
		echo "== $$t: $(FUZZ_LIMIT)"; \
		SWIFT_BACKTRACE=enable=no $$bin $(FUZZ_LIMIT) $(FUZZ_FLAGS) \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ $(FUZZ_DIR)/corpus/$$t $$seeds; \
	done

## Each fuzz target for a few seconds (CI).
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5

## Rewrites the committed seed corpora from the seeds each target makes with the library.
fuzz-corpus: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do rm -rf Fuzz/Corpus/$$t; \
		SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $(FUZZ_DIR)/swift/release/Fuzz$$t --write-seeds Fuzz/Corpus/$$t; done

## Crash drills (docs/hardening.md): SIGKILL at 20 moments, SIGTERM, a full disk (a tmpfs: needs root); every
## resumed run must end bit for bit as an uninterrupted one.
drills: build
	bash Tools/crash_drills.sh $(CONVNET)

## AddressSanitizer builds (Swift and C targets alike) go to their own scratch folder.
ASAN_SCRATCH := .build-asan
ASAN_TEST_OPTIONS ?= detect_leaks=0
asan-build: deps
	$(SWIFT) build -c release --build-tests --sanitize=address --scratch-path $(ASAN_SCRATCH)

## Soak (docs/hardening.md): 30 epochs of LeNet-5 with RSS sampled each epoch, then a short run under LeakSanitizer.
soak: build asan-build
	bash Tools/soak.sh $(CONVNET) $(ASAN_SCRATCH)/release/convnet

## Every test under AddressSanitizer (docs/hardening.md, "Sanitizers", says which options and why).
test-asan: asan-build
	ASAN_OPTIONS=$(ASAN_TEST_OPTIONS) $(SWIFT) test -c release --skip-build --scratch-path $(ASAN_SCRATCH)

## ThreadSanitizer on the data loader and the oneDNN glue (docs/hardening.md, "Sanitizers").
TSAN_SUITES ?= AugmentedLoaderTests|DataTests|OneDNNBackendTests|ConcurrentKernelTests|NativeLayoutTests
TSAN_TEST_OPTIONS ?= halt_on_error=0
tsan: deps
	$(SWIFT) build -c release --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=$(TSAN_TEST_OPTIONS) OMP_NUM_THREADS=1 $(SWIFT) test -c release --skip-build --scratch-path .build-tsan \
		--filter '$(TSAN_SUITES)'

clean:
	rm -rf .build .build-asan .build-tsan
