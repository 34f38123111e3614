"""Writes small LMDB databases the way Caffe's convert_imageset does, with other tools than Crema:
py-lmdb and Google's protobuf runtime over caffe.proto's Datum, so that Crema's reader is tested
against bytes it did not write itself.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install lmdb protobuf pillow
    protoc --proto_path=Proto --python_out=/tmp/pyproto Proto/caffe.proto
    PYTHONPATH=/tmp/pyproto /tmp/venv/bin/python Tests/RuntimeTests/Fixtures/lmdb/make_caffe_lmdb.py

raw_lmdb: three 3x5x4 records (channels x height x width, BGR planes, as convert_imageset stores
decoded images), pixel value (31 * record + 7 * position) % 256, labels 0, 4, 9.
encoded_lmdb: convert_imageset --encoded: a PNG and a JPEG of 6x5 RGB images, the file bytes as
they are, with no dimensions in the Datum. encoded_expected.bin holds Pillow's decoding of each,
as BGR planes (what Caffe's DecodeDatumToCVMat gives), bytes one after the other.
Keys are Caffe's: the line number in eight digits, an underscore, and the file name.
"""
import io
import os
import shutil

import lmdb
from PIL import Image

import caffe_pb2

HERE = os.path.dirname(os.path.abspath(__file__))


def fresh(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    return lmdb.open(path, map_size=1 << 20, subdir=True)


def raw():
    env = fresh(os.path.join(HERE, "raw_lmdb"))
    with env.begin(write=True) as txn:
        for record, label in enumerate([0, 4, 9]):
            c, h, w = 3, 5, 4
            pixels = bytes((31 * record + 7 * p) % 256 for p in range(c * h * w))
            datum = caffe_pb2.Datum(channels=c, height=h, width=w, data=pixels, label=label)
            txn.put(b"%08d_image%d.png" % (record, record), datum.SerializeToString())
    env.close()


def encoded():
    env = fresh(os.path.join(HERE, "encoded_lmdb"))
    expected = bytearray()
    with env.begin(write=True) as txn:
        for record, (fmt, label) in enumerate([("PNG", 2), ("JPEG", 7)]):
            image = Image.new("RGB", (6, 5))
            image.putdata([((40 * x + 3 * record) % 256, (50 * y) % 256, (x * y * 9) % 256)
                           for y in range(5) for x in range(6)])
            buffer = io.BytesIO()
            image.save(buffer, format=fmt, quality=90)
            data = buffer.getvalue()
            datum = caffe_pb2.Datum(data=data, label=label, encoded=True)
            txn.put(b"%08d_photo%d.%s" % (record, record, fmt.lower().encode()), datum.SerializeToString())
            decoded = Image.open(io.BytesIO(data)).convert("RGB")
            r, g, b = decoded.split()
            for plane in (b, g, r):
                expected += plane.tobytes()
    env.close()
    with open(os.path.join(HERE, "encoded_expected.bin"), "wb") as f:
        f.write(expected)


if __name__ == "__main__":
    raw()
    encoded()
    for name in ("raw_lmdb", "encoded_lmdb"):
        lock = os.path.join(HERE, name, "lock.mdb")
        if os.path.exists(lock):
            os.remove(lock)
