"""Caffe's LeNet trained on Fashion-MNIST in PyTorch CPU, as Recipes/LeNet.swift trains it:
batch 64, pixels scaled by 1/256, xavier weights, SGD (lr 0.01 with Caffe's "inv" policy,
gamma 1e-4, power 0.75; momentum 0.9; weight decay 5e-4; biases at 2x the rate), batches read in
file order as from Caffe's LMDB.

    python lenet_torch.py [--iterations 200] [--test] [--json FILE]

Times every training step (taking the batch, zero_grad, forward, backward, update) and reports
the median: images/s = 64 / median step time, the same measure as Crema's
`experiments time lenet --step`. Prints one JSON line.
"""

import argparse
import gzip
import math
import os
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
from peers_common import emit, fail, finite, import_torch

DEFAULT_FOLDER = "/usr/share/datasets/fashion-mnist"


def dataset_folder():
    """Where Debian's dataset-fashion-mnist put the IDX files (dpkg -L), else its usual folder."""
    try:
        files = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True,
                               check=True).stdout.split()
        for f in files:
            if f.endswith("train-images-idx3-ubyte.gz"):
                return os.path.dirname(f)
    except (OSError, subprocess.CalledProcessError):
        pass
    return DEFAULT_FOLDER


def read_idx(path):
    """An IDX file (optionally gzipped) as (shape, bytes)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        fail(f"{path} is not an IDX file of unsigned bytes")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def load(torch, folder, split):
    prefix = "train" if split == "train" else "t10k"
    found = {}
    for name in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        for suffix in (".gz", ""):
            path = os.path.join(folder, f"{prefix}-{name}{suffix}")
            if os.path.exists(path):
                found[name] = path
                break
        else:
            fail(f"{prefix}-{name}(.gz) is not in {folder}; install Debian's dataset-fashion-mnist")
    shape, pixels = read_idx(found["images-idx3-ubyte"])
    _, labels = read_idx(found["labels-idx1-ubyte"])
    images = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(shape[0], 1, shape[1], shape[2])
    # Caffe's transform: scale 0.00390625 (1/256), no mean.
    return images.float() * 0.00390625, torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()


def build(torch):
    nn = torch.nn

    def xavier(layer):
        # Caffe's xavier: uniform on +-sqrt(3 / fan_in); biases 0.
        fan_in = layer.weight[0].numel()
        bound = math.sqrt(3.0 / fan_in)
        nn.init.uniform_(layer.weight, -bound, bound)
        nn.init.zeros_(layer.bias)
        return layer

    return nn.Sequential(
        xavier(nn.Conv2d(1, 20, 5)), nn.MaxPool2d(2, 2, ceil_mode=True),
        xavier(nn.Conv2d(20, 50, 5)), nn.MaxPool2d(2, 2, ceil_mode=True),
        nn.Flatten(), xavier(nn.Linear(800, 500)), nn.ReLU(inplace=True), xavier(nn.Linear(500, 10)),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200, help="timed training steps (after one warm-up)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default=None, help="folder of the IDX files (default: from dpkg -L dataset-fashion-mnist)")
    parser.add_argument("--test", action="store_true", help="report test accuracy on the 10,000 test images afterwards")
    parser.add_argument("--json", help="also write the record to this file")
    args = parser.parse_args()
    torch = import_torch(args.threads, args.seed)
    folder = args.data or dataset_folder()
    images, labels = load(torch, folder, "train")
    net = build(torch)
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    base_lr = 0.01
    opt = torch.optim.SGD([{"params": weights, "lr": base_lr, "weight_decay": 5e-4},
                           {"params": biases, "lr": 2 * base_lr, "weight_decay": 5e-4}], lr=base_lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    count = images.shape[0]
    losses, times = [], []
    position = 0
    net.train()
    for it in range(args.iterations + 1):
        start = time.perf_counter()
        if position + args.batch > count:
            position = 0
        x = images[position:position + args.batch]
        y = labels[position:position + args.batch]
        position += args.batch
        # Caffe's "inv" policy: base_lr * (1 + gamma * iter)^-power.
        rate = base_lr * (1 + 1e-4 * it) ** -0.75
        opt.param_groups[0]["lr"] = rate
        opt.param_groups[1]["lr"] = 2 * rate
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        value = loss.item()
        if it > 0:
            times.append((time.perf_counter() - start) * 1000)
        losses.append(value)
    if not all(finite(v) for v in losses):
        fail(f"PyTorch's LeNet loss is not finite: {losses[-5:]}")
    window = max(1, min(20, len(losses) // 4))
    first, last = sum(losses[:window]) / window, sum(losses[-window:]) / window
    if args.iterations >= 100 and not last < first:
        fail(f"PyTorch's LeNet loss did not fall: {first:.3f} over the first {window} steps, {last:.3f} over the last")
    record = {
        "system": "pytorch", "net": "lenet", "mode": "step", "batch": args.batch, "threads": torch.get_num_threads(),
        "repeat": args.iterations, "times_ms": times, "losses": [losses[0], losses[-1]],
        "loss_first_mean": first, "loss_last_mean": last, "data": folder, "torch": torch.__version__,
    }
    if args.test:
        test_images, test_labels = load(torch, folder, "test")
        net.eval()
        with torch.inference_mode():
            predictions = torch.cat([net(test_images[i:i + 1000]).argmax(1) for i in range(0, test_images.shape[0], 1000)])
        record["test_accuracy"] = float((predictions == test_labels).float().mean())
    emit(record, args.json)


if __name__ == "__main__":
    sys.exit(main())
