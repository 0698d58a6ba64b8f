# swift-convnet — the two commands that work on a fresh machine:
#   make demo   build in release mode and run the main job
#   make test   build in release mode and run every test
SWIFT ?= swift
CONVNET := .build/release/convnet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev libturbojpeg0-dev pkg-config

.PHONY: demo test deps build bench fuzz drills soak test-asan tsan clean

## Installs the system libraries the build links (OpenBLAS, oneDNN, zlib, libpng, TurboJPEG) when they are missing.
deps:
ifeq ($(shell uname -s),Linux)
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi
endif

build: deps
	$(SWIFT) build -c release --product convnet

## The main job: train LeNet-5 on the MNIST copy in Datasets/mnist and report test accuracy.
demo: build
	$(CONVNET) train --model lenet5 --dataset mnist --epochs 5 --batch-size 64 \
		--optimizer sgd --lr 0.01 --momentum 0.9 --seed 0 --out runs/demo

## Every test, in a release build (numeric code is tested as it runs).
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

## Our figures beside PyTorch's (README's tables; TORCH_PYTHON: a python with torch and torchvision).
bench: build
	@bash Benchmarks/conv_table.sh $(CONVNET) --with-torch
	@bash Benchmarks/model_table.sh $(CONVNET) --with-torch
	@bash Benchmarks/lenet_epoch_pairs.sh $(CONVNET) 6 4

## libFuzzer with AddressSanitizer on the parsers of outside bytes, FUZZ_SECONDS each (default 60):
## the Swift one (CIFAR batches, --augment and its transforms, Image.decode) and the C decoders.
FUZZ_SECONDS ?= 60
FUZZ_CORPUS := .build-fuzz/corpus
fuzz: deps
	$(SWIFT) build -c release --package-path Fuzz --scratch-path .build-fuzz/swift -Xswiftc -sanitize=fuzzer,address
	mkdir -p $(FUZZ_CORPUS)/swift $(FUZZ_CORPUS)/decode
	printf '\000RandomCrop(32, padding=4), RandomHorizontalFlip()' > $(FUZZ_CORPUS)/swift/augment
	printf "\000ColorJitter(0.4, (0.5, 1.5), 0.4, 0.1), RandomResizedCrop(8, scale=(0.5, 1)), Lighting(0.1), Pad((1, 2, 3, 4), padding_mode='reflect')" > $(FUZZ_CORPUS)/swift/jitter
	head -c 6147 /dev/urandom | sed '1s/^./\x01/' > $(FUZZ_CORPUS)/swift/cifar10 || true
	for f in Tests/ConvNetTests/Fixtures/images/*.png Tests/ConvNetTests/Fixtures/images/*.jpg; do \
		{ printf '\003'; cat "$$f"; } > $(FUZZ_CORPUS)/swift/$$(basename "$$f"); done
	SWIFT_BACKTRACE=enable=no .build-fuzz/swift/release/DataFuzzer -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 -max_len=65536 $(FUZZ_CORPUS)/swift
	clang -g -O1 -fsanitize=fuzzer,address,undefined -ISources/CImageCodecs/include Sources/CImageCodecs/*.c \
		Tools/fuzz/decode_fuzzer.c -lpng -lturbojpeg -lpthread -o .build-fuzz/decode_fuzzer
	.build-fuzz/decode_fuzzer -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 -max_len=65536 \
		$(FUZZ_CORPUS)/decode Tests/ConvNetTests/Fixtures/images

## Crash drills (README "Hardening"): SIGKILL at 20 moments, SIGTERM, a full disk (a tmpfs: needs root); every
## resumed run must end bit for bit as an uninterrupted one.
drills: build
	bash Tools/crash_drills.sh $(CONVNET)

## AddressSanitizer builds (Swift and C targets alike) go to their own scratch folder.
ASAN_SCRATCH := .build-asan
ASAN_TEST_OPTIONS ?= detect_leaks=0
asan-build: deps
	$(SWIFT) build -c release --build-tests --sanitize=address --scratch-path $(ASAN_SCRATCH)

## Soak (README "Hardening"): 30 epochs of LeNet-5 with RSS sampled each epoch, then a short run under LeakSanitizer.
soak: build asan-build
	bash Tools/soak.sh $(CONVNET) $(ASAN_SCRATCH)/release/convnet

## Every test under AddressSanitizer (README "Sanitizers" says which options and why).
test-asan: asan-build
	ASAN_OPTIONS=$(ASAN_TEST_OPTIONS) $(SWIFT) test -c release --skip-build --scratch-path $(ASAN_SCRATCH)

## ThreadSanitizer on the data loader and the oneDNN glue (README "Sanitizers").
TSAN_SUITES ?= AugmentedLoaderTests|DataTests|OneDNNBackendTests|DNNLLockTests
TSAN_TEST_OPTIONS ?= halt_on_error=0
tsan: deps
	$(SWIFT) build -c release --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=$(TSAN_TEST_OPTIONS) OMP_NUM_THREADS=1 $(SWIFT) test -c release --skip-build --scratch-path .build-tsan \
		--filter '$(TSAN_SUITES)'

clean:
	rm -rf .build .build-asan .build-tsan
