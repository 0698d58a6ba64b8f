# swift-convnet — the two commands that work on a fresh machine:
#   make demo   build in release mode and run the main job
#   make test   build in release mode and run every test
SWIFT ?= swift
CONVNET := .build/release/convnet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev libturbojpeg0-dev pkg-config

.PHONY: demo test deps build bench clean

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

clean:
	rm -rf .build
