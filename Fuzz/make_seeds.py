#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora under Fuzz/Corpus/ from the repository's fixtures, small
hand-encoded protobuf messages and, when given, a run folder (its recipe.json and the resume
state inside its last .solverstate): `python3 Fuzz/make_seeds.py [results/lenet/latest]`."""
import glob, os, shutil, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests/RuntimeTests/Fixtures")
OUT = os.path.join(ROOT, "Fuzz/Corpus")

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 2:
        return key + varint(len(payload)) + payload
    if wire == 5:
        return key + payload
    raise ValueError(wire)

def floats(values):
    return b"".join(struct.pack("<f", v) for v in values)

def datum(c, h, w, data=None, floats_=None, label=0, encoded=False):
    m = field(1, 0, c) + field(2, 0, h) + field(3, 0, w)
    if data is not None:
        m += field(4, 2, data)
    m += field(5, 0, label)
    if floats_ is not None:
        m += field(6, 2, floats(floats_))
    if encoded:
        m += field(7, 0, 1)
    return m

def blob(shape, values, legacy=False):
    if legacy:
        n, c, h, w = shape
        m = field(1, 0, n) + field(2, 0, c) + field(3, 0, h) + field(4, 0, w)
    else:
        m = field(7, 2, field(1, 2, b"".join(varint(d) for d in shape)))
    return m + field(5, 2, floats(values))

def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)

def copy(target, pattern):
    for path in sorted(glob.glob(os.path.join(FIX, pattern))):
        with open(path, "rb") as f:
            write(target, os.path.basename(path), f.read())

def read(path):
    with open(path, "rb") as f:
        return f.read()

def crema_state(solverstate):
    """Field 1001 of a Crema .solverstate: the resume state's JSON."""
    data, i = read(solverstate), 0
    while i < len(data):
        key, shift = 0, 0
        while True:
            b = data[i]; i += 1
            key |= (b & 0x7F) << shift; shift += 7
            if b < 0x80: break
        number, wire = key >> 3, key & 7
        if wire == 0:
            while data[i] >= 0x80: i += 1
            i += 1
        elif wire == 2:
            length, shift = 0, 0
            while True:
                b = data[i]; i += 1
                length |= (b & 0x7F) << shift; shift += 7
                if b < 0x80: break
            if number == 1001:
                return data[i:i + length]
            i += length
        elif wire == 5: i += 4
        elif wire == 1: i += 8
    return None

pixels = bytes(range(60))
write("datum", "raw_3x4x5", datum(3, 4, 5, data=pixels, label=3))
write("datum", "grey_1x2x2", datum(1, 2, 2, data=b"\x00\x40\x80\xff", label=1))
write("datum", "floats_1x2x3", datum(1, 2, 3, floats_=[0, 0.5, 1, 1.5, 2, 2.5], label=2))
write("datum", "encoded_jpeg", datum(0, 0, 0, data=read(os.path.join(FIX, "images/grey.jpg")), label=4, encoded=True))
write("datum", "encoded_png", datum(0, 0, 0, data=read(os.path.join(FIX, "images/palette4.png")), label=5, encoded=True))

write("blobproto", "mean_1x3x2x2", blob([1, 3, 2, 2], [float(i) for i in range(12)]))
write("blobproto", "mean_legacy", blob([1, 1, 2, 3], [1, 2, 3, 4, 5, 6], legacy=True))
write("blobproto", "mean_chw", blob([2, 1, 2], [7, 8, 9, 10]))

copy("netparameter", "caffe/weights/*.caffemodel")

history = [blob([2, 3], [0.1] * 6), blob([2], [0.0, 0.2])]
state = field(1, 0, 500) + field(2, 2, b"lenet_iter_500.caffemodel") + b"".join(field(3, 2, h) for h in history) + field(4, 0, 2)
write("solverstate", "caffe_sgd", state)
write("solverstate", "legacy_no_step", field(1, 0, 10) + field(3, 2, blob([1, 1, 1, 2], [1, 2], legacy=True)))

copy("prototxt", "caffe/examples/mnist/*.prototxt")
copy("prototxt", "caffe/weights/tiny.prototxt")
copy("prototxt", "caffe/bad/*.prototxt")
copy("prototxt", "caffe/v1/lenet_train_test.prototxt")
copy("prototxt", "caffe/zoo/cifar10_quick_train_test.prototxt")

copy("jpeg", "images/grey.jpg")
copy("jpeg", "images/progressive.jpg")
copy("jpeg", "images/cmyk.jpg")
copy("png", "images/grey1.png")
copy("png", "images/palette4.png")
copy("png", "images/greyalpha.png")

write("listfile", "list.txt", b"cat/1.jpg 0\ndog 2.jpg 1\r\n\n  bird/3.png\t2\nnolabel\nbad.jpg -1\nx.jpg 99999999999\n")
write("overrides", "settings.txt",
      b"solver.base_lr=0.001\nsolver.max_iter=1e4\nsolver.stepvalue=100,200\nsolver.lr_policy=multistep\n"
      b"data.train.batch_size=32\ndata.test.crop_size=3\ndata.train.mean_value=104,117,123\n"
      b"data.train.on_error=skip\nsolver.base_lr=0.1,0.01\nsolver.momentum=0.8:0.99:4\nsolver.nonsense=1\n")

if len(sys.argv) > 1:
    run = sys.argv[1]
    write("recipejson", "lenet_recipe.json", read(os.path.join(run, "recipe.json")))
    states = sorted(glob.glob(os.path.join(run, "snapshots/*.solverstate")))
    extra = crema_state(states[-1]) if states else None
    if extra:
        write("solverstate", "crema_resume", state + field(1001, 2, extra))
print("seeds written under", OUT)
