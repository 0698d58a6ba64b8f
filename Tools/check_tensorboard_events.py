#!/usr/bin/env python3
"""Reads a `convnet train --tensorboard DIR` folder with the tensorboard package's own event reader
(pip install tensorboard) and checks what TensorBoard will show: the scalar tags, their steps
(batches trained), finite values, per-epoch metrics equal to the run's metrics.csv (with --run),
and the first-layer filter images as PNGs. Prints a summary; exits non-zero on the first mismatch.

    python3 Tools/check_tensorboard_events.py DIR [--run RUN_DIR]
"""
import argparse
import csv
import math
import pathlib
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

BATCH_TAGS = ["train/batch_loss", "train/learning_rate"]
EPOCH_TAGS = {"epoch/train_loss": "train_loss", "epoch/train_accuracy": "train_accuracy",
              "epoch/test_loss": "test_loss", "epoch/test_accuracy": "test_accuracy"}


def fail(message):
    print(f"check_tensorboard_events: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logdir")
    parser.add_argument("--run", help="the run's --out folder, to compare with its metrics.csv")
    args = parser.parse_args()
    if not list(pathlib.Path(args.logdir).glob("*tfevents*")):
        fail(f"{args.logdir}: no event files")
    # size_guidance 0: keep every event (the default samples 10,000 scalars and 4 images per tag).
    accumulator = EventAccumulator(args.logdir, size_guidance={"scalars": 0, "images": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    print(f"{args.logdir}: file version {accumulator.file_version}; scalars {sorted(tags['scalars'])}; images {sorted(tags['images'])}")
    if accumulator.file_version != 2.0:
        fail(f"file version {accumulator.file_version}, not brain.Event:2")

    for tag in BATCH_TAGS + list(EPOCH_TAGS):
        if tag not in tags["scalars"]:
            fail(f"no scalar {tag}")
    losses = accumulator.Scalars("train/batch_loss")
    steps = [e.step for e in losses]
    if steps != list(range(1, len(steps) + 1)):
        fail(f"train/batch_loss steps are not 1, 2, 3, …: {steps[:5]}…")
    for tag in BATCH_TAGS:
        values = [e.value for e in accumulator.Scalars(tag)]
        if len(values) != len(steps) or not all(math.isfinite(v) for v in values):
            fail(f"{tag}: {len(values)} values for {len(steps)} steps, or a non-finite one")
        print(f"  {tag}: {len(values)} steps, first {values[0]:.6g}, last {values[-1]:.6g}")

    epoch_steps = [e.step for e in accumulator.Scalars("epoch/test_accuracy")]
    if not epoch_steps or epoch_steps[-1] != steps[-1]:
        fail(f"epoch steps {epoch_steps} do not end at the last batch step {steps[-1]}")
    batches = epoch_steps[0]
    if epoch_steps != [batches * (i + 1) for i in range(len(epoch_steps))]:
        fail(f"epoch steps {epoch_steps} are not multiples of the batches per epoch ({batches})")
    rows = None
    if args.run:
        with open(pathlib.Path(args.run) / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
        if len(rows) != len(epoch_steps):
            fail(f"{len(epoch_steps)} epochs logged, metrics.csv has {len(rows)}")
    for tag, column in EPOCH_TAGS.items():
        values = [e.value for e in accumulator.Scalars(tag)]
        if [e.step for e in accumulator.Scalars(tag)] != epoch_steps:
            fail(f"{tag}: steps differ from epoch/test_accuracy's")
        if rows is not None:
            for epoch, (value, row) in enumerate(zip(values, rows), 1):
                # metrics.csv rounds to 6 (loss) or 4 (accuracy) decimals; the event holds a float32.
                if abs(value - float(row[column])) > 1e-4 * max(1, abs(value)):
                    fail(f"{tag} epoch {epoch}: {value} in the events, {row[column]} in metrics.csv")
        print(f"  {tag}: " + ", ".join(f"{v:.4f}" for v in values) + (" (= metrics.csv)" if rows else ""))

    images = [t for t in tags["images"] if t.startswith("filters/")]
    if len(images) != 1:
        fail(f"expected one filters/… image tag, found {tags['images']}")
    shown = accumulator.Images(images[0])
    # The start's filters, then one image per epoch (a resumed run draws its start again).
    if sorted(set(e.step for e in shown)) != sorted({0, *epoch_steps}):
        fail(f"{images[0]} steps {[e.step for e in shown]}, expected the start and {epoch_steps}")
    for e in shown:
        if not e.encoded_image_string.startswith(b"\x89PNG\r\n\x1a\n") or e.width <= 0 or e.height <= 0:
            fail(f"{images[0]} step {e.step} is not a PNG")
    print(f"  {images[0]}: {len(shown)} PNG images {shown[0].width}x{shown[0].height} at steps {[e.step for e in shown]}")
    print("ok")


if __name__ == "__main__":
    main()
