"""CaffeNet (bvlc_reference_caffenet) in PyTorch CPU, layer for layer as Recipes/CaffeNet.swift,
timed as Crema's `experiments time caffenet` times it.

    python caffenet_torch.py --mode train|step|inference --batch 64 [--repeat 5] [--bf16] [--json FILE]

train: forward + backward (gradients accumulate, as in `caffe time`); step: zero_grad, forward,
backward and SGD (momentum 0.9, weight decay 5e-4, biases at 2x the rate and no decay);
inference: eval-mode forward with softmax, under inference_mode. Inputs are uniform in
[-128, 128) like mean-subtracted pixels; labels are all 0 (as Crema's generated inputs) unless
--labels random. Prints one JSON line.
"""

import argparse
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
from peers_common import emit, fail, finite, import_torch, timed

# CaffeNet has 60,965,224 learnable values; a different count means a different net.
CAFFENET_PARAMETERS = 60_965_224


def build(torch):
    nn = torch.nn

    def conv(cin, cout, k, std, bias, stride=1, pad=0, groups=1):
        layer = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups)
        nn.init.normal_(layer.weight, 0, std)
        nn.init.constant_(layer.bias, bias)
        return layer

    def fc(cin, cout, std, bias):
        layer = nn.Linear(cin, cout)
        nn.init.normal_(layer.weight, 0, std)
        nn.init.constant_(layer.bias, bias)
        return layer

    def pool():
        # Caffe rounds pooling output sizes up.
        return nn.MaxPool2d(3, 2, ceil_mode=True)

    def lrn():
        # Caffe's ACROSS_CHANNELS: k + alpha / size * sum of squares, as torch's definition.
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

    net = nn.Sequential(
        conv(3, 96, 11, 0.01, 0, stride=4), nn.ReLU(inplace=True), pool(), lrn(),
        conv(96, 256, 5, 0.01, 1, pad=2, groups=2), nn.ReLU(inplace=True), pool(), lrn(),
        conv(256, 384, 3, 0.01, 0, pad=1), nn.ReLU(inplace=True),
        conv(384, 384, 3, 0.01, 1, pad=1, groups=2), nn.ReLU(inplace=True),
        conv(384, 256, 3, 0.01, 1, pad=1, groups=2), nn.ReLU(inplace=True), pool(),
        nn.Flatten(),
        fc(9216, 4096, 0.005, 1), nn.ReLU(inplace=True), nn.Dropout(0.5),
        fc(4096, 4096, 0.005, 1), nn.ReLU(inplace=True), nn.Dropout(0.5),
        fc(4096, 1000, 0.01, 0),
    )
    count = sum(p.numel() for p in net.parameters())
    if count != CAFFENET_PARAMETERS:
        fail(f"the PyTorch CaffeNet has {count} parameters, not CaffeNet's {CAFFENET_PARAMETERS}")
    return net


def optimizer(torch, net, lr=0.01):
    """Caffe's CaffeNet solver: weights lr_mult 1 decay 1, biases lr_mult 2 decay 0."""
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    return torch.optim.SGD([{"params": weights, "lr": lr, "weight_decay": 5e-4},
                            {"params": biases, "lr": 2 * lr, "weight_decay": 0}], lr=lr, momentum=0.9)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["train", "step", "inference"], required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--labels", choices=["zero", "random"], default="zero")
    parser.add_argument("--bf16", action="store_true", help="train/step under bfloat16 autocast (Float32 master weights)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the record to this file")
    args = parser.parse_args()
    torch = import_torch(args.threads, args.seed)
    net = build(torch)
    x = torch.empty(args.batch, 3, 227, 227).uniform_(-128, 128)
    if args.labels == "zero":
        y = torch.zeros(args.batch, dtype=torch.long)
    else:
        y = torch.randint(0, 1000, (args.batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    losses = []

    if args.mode == "inference":
        if args.bf16:
            fail("--bf16 is for training; time bf16 inference elsewhere")
        net.eval()

        def run():
            with torch.inference_mode():
                prob = torch.softmax(net(x), dim=1)
            return float(prob.sum()) / args.batch
    elif args.mode == "train":
        net.train()

        def run():
            with autocast:
                loss = loss_fn(net(x), y)
            loss.backward()
            losses.append(loss.item())
            return losses[-1]
    else:
        net.train()
        opt = optimizer(torch, net)

        def run():
            opt.zero_grad()
            with autocast:
                loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            return losses[-1]

    times, last = timed(run, args.repeat)
    if args.mode == "inference":
        if not abs(last - 1) < 1e-3:
            fail(f"the softmax rows sum to {last} on average, not 1")
    elif not all(finite(v) for v in losses):
        fail(f"PyTorch's loss is not finite: {losses}")
    emit({
        "system": "pytorch" + ("-bf16" if args.bf16 else ""), "net": "caffenet", "mode": args.mode,
        "batch": args.batch, "threads": torch.get_num_threads(), "repeat": args.repeat, "times_ms": times,
        "losses": losses, "labels": args.labels, "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(), "bf16": args.bf16,
    }, args.json)


if __name__ == "__main__":
    sys.exit(main())
