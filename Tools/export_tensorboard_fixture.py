#!/usr/bin/env python3
"""Writes Tests/ConvNetTests/Fixtures/tensorboard/reference.tfevents with the `tensorboard` package's
own record writer and protos (pip install tensorboard pillow): a file-version event, two scalars and
a 3x2 RGB PNG image, all at fixed wall times. TensorBoardTests reads it with the Swift reader (both
CRCs, the protobufs, the PNG) and checks that the Swift writer produces the same bytes for the same
events."""
import io
import pathlib

from PIL import Image
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

out = pathlib.Path(__file__).resolve().parent.parent / "Tests/ConvNetTests/Fixtures/tensorboard/reference.tfevents"
out.parent.mkdir(parents=True, exist_ok=True)

pixels = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 128, 128, 128, 255, 255, 255])
png = io.BytesIO()
Image.frombytes("RGB", (3, 2), pixels).save(png, format="PNG")

events = [
    event_pb2.Event(wall_time=1700000000.0, file_version="brain.Event:2"),
    event_pb2.Event(wall_time=1700000001.5, step=7, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="train/batch_loss", simple_value=0.6931472)])),
    event_pb2.Event(wall_time=1700000002.25, step=938, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="epoch/test_accuracy", simple_value=97.5)])),
    event_pb2.Event(wall_time=1700000003.0, step=938, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag="filters/conv1.weight",
        image=summary_pb2.Summary.Image(height=2, width=3, colorspace=3, encoded_image_string=png.getvalue()))])),
]
with open(out, "wb") as f:
    writer = RecordWriter(f)
    for event in events:
        writer.write(event.SerializeToString())
    writer.flush()
print(f"wrote {out} ({out.stat().st_size} bytes, {len(events)} events)")
