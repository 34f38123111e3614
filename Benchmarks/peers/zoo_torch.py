"""ResNet-50 or MobileNet v1 in PyTorch CPU, layer for layer as the Caffe nets Crema runs
(zoo_nets.py, checked against their prototxts), timed as Crema's `experiments time` times them.

    python zoo_torch.py --net resnet50|mobilenet --mode train|inference --batch 32 [--repeat 5] [--json FILE]

train: the net in train mode (BatchNorm on each batch's statistics), forward, cross-entropy loss
and backward (gradients accumulate, as in `caffe time`); inference: eval mode, forward with
softmax, under inference_mode, with the BatchNorm statistics set from the input batch first (so
the outputs are those of a normalised net). Inputs are uniform in [-128, 128) like
mean-subtracted pixels; labels are all 0, as Crema's generated inputs. Prints one JSON line.
"""

import argparse
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
from peers_common import emit, fail, finite, import_torch, timed
import zoo_nets


def inference_run(torch, net, x):
    """One eval-mode forward with softmax; returns the mean row sum of the probabilities."""
    zoo_nets.calibrate(torch, net, x)

    def run():
        with torch.inference_mode():
            prob = torch.softmax(net(x), dim=1)
        return float(prob.sum()) / x.shape[0]

    return run


def train_run(torch, net, x, losses):
    """One train-mode forward and backward (labels all 0); appends the loss to `losses`."""
    net.train()
    y = torch.zeros(x.shape[0], dtype=torch.long)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        loss = loss_fn(net(x), y)
        loss.backward()
        losses.append(loss.item())
        return losses[-1]

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net", choices=sorted(zoo_nets.BUILDERS), required=True)
    parser.add_argument("--mode", choices=["train", "inference"], required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the record to this file")
    args = parser.parse_args()
    if args.batch < 1 or args.repeat < 1:
        fail("--batch and --repeat must be at least 1")
    torch = import_torch(args.threads, args.seed)
    try:
        net = zoo_nets.build(torch, args.net)
    except zoo_nets.NetMismatch as error:
        fail(f"the PyTorch {args.net} is not the Caffe net: {error}")
    x = zoo_nets.inputs(torch, args.batch)
    losses = []
    run = inference_run(torch, net, x) if args.mode == "inference" else train_run(torch, net, x, losses)

    times, last = timed(run, args.repeat)
    if args.mode == "inference":
        if not abs(last - 1) < 1e-3:
            fail(f"the softmax rows sum to {last} on average, not 1")
    elif not all(finite(v) for v in losses):
        fail(f"PyTorch's {args.net} loss is not finite: {losses}")
    emit({
        "system": "pytorch", "net": args.net, "mode": args.mode, "batch": args.batch,
        "threads": torch.get_num_threads(), "repeat": args.repeat, "times_ms": times, "losses": losses,
        "labels": "zero", "parameters": zoo_nets.parameter_count(net), "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
    }, args.json)


if __name__ == "__main__":
    sys.exit(main())
