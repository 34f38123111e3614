"""ResNet-50 or MobileNet v1 inference in ONNX Runtime CPU: the PyTorch net of zoo_nets.py (eval
mode, BatchNorm statistics set from a sample batch, with the softmax of a deploy net) exported
to ONNX with the classic exporter, run with intra_op_num_threads = --threads.

    python zoo_ort.py --net resnet50|mobilenet --export [--model FILE]    # once: export and check
    python zoo_ort.py --net resnet50|mobilenet --batch 32 [--repeat 5]     # time (onnxruntime, numpy only)

The export checks ONNX Runtime's output against PyTorch's on two images before it keeps the
file; timing processes then load neither torch nor its memory. Prints one JSON line.
"""

import argparse
import os
import sys
import warnings

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
from peers_common import emit, fail, session_for, set_threads, timed

NETS = ("resnet50", "mobilenet")
INPUT_SIZE = 224  # zoo_nets.INPUT_SIZE; not imported, so that timing needs no torch
CLASSES = 1000
# Largest difference in log-probability between ONNX Runtime and PyTorch that the export accepts.
TOLERANCE = 1e-3


def default_model(net):
    return os.path.join(os.environ.get("TMPDIR", "/tmp"), "crema-peers", f"{net}.onnx")


def export(net_name, path, threads, seed):
    """Writes the net to `path` once ONNX Runtime's output on two images matches PyTorch's."""
    import numpy as np
    import onnxruntime as ort
    import torch

    import zoo_nets

    # The classic exporter warns that it is deprecated; that does not matter here.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    try:
        net = zoo_nets.build(torch, net_name)
    except zoo_nets.NetMismatch as error:
        fail(f"the PyTorch {net_name} is not the Caffe net: {error}")
    sample = zoo_nets.inputs(torch, 2)
    zoo_nets.calibrate(torch, net, sample)
    model = torch.nn.Sequential(net, torch.nn.Softmax(dim=1)).eval()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    partial = path + ".partial"
    torch.onnx.export(model, (sample,), partial, input_names=["data"], output_names=["prob"],
                      dynamic_axes={"data": {0: "batch"}, "prob": {0: "batch"}}, opset_version=17, dynamo=False)
    got = session_for(ort, partial, threads).run(["prob"], {"data": sample.numpy()})[0]
    with torch.inference_mode():
        want = model(sample).numpy()
    # Compare log-probabilities: the probabilities of 1000 classes are all small.
    error = float(np.abs(np.log(got) - np.log(want)).max())
    if not error < TOLERANCE:
        fail(f"ONNX Runtime's {net_name} differs from PyTorch's by {error} in log-probability "
             f"(more than {TOLERANCE}); not keeping {path}")
    os.replace(partial, path)
    print(f"exported {path}; ONNX Runtime matches PyTorch within {error:.1e} (log-probabilities)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net", choices=NETS, required=True)
    parser.add_argument("--export", action="store_true", help="export the model (needs torch) and exit")
    parser.add_argument("--model", help="the ONNX file (default: $TMPDIR/crema-peers/NET.onnx)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the record to this file")
    args = parser.parse_args()
    model = args.model or default_model(args.net)
    set_threads(args.threads)
    if args.export:
        export(args.net, model, args.threads, args.seed)
        return 0
    if args.batch < 1 or args.repeat < 1:
        fail("--batch and --repeat must be at least 1")
    if not os.path.exists(model):
        fail(f"{model} does not exist; run `python zoo_ort.py --net {args.net} --export --model {model}` first")
    import numpy as np
    import onnxruntime as ort

    session = session_for(ort, model, args.threads)
    x = np.random.default_rng(args.seed).uniform(-128, 128, (args.batch, 3, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)

    def run():
        return session.run(["prob"], {"data": x})[0]

    times, prob = timed(run, args.repeat)
    sums = prob.sum(axis=1)
    if prob.shape != (args.batch, CLASSES) or not np.all(np.abs(sums - 1) < 1e-3):
        fail(f"ONNX Runtime's {args.net} output is {prob.shape} with row sums {sums[:4]}; "
             f"expected probabilities over {CLASSES} classes")
    emit({"system": "onnxruntime", "net": args.net, "mode": "inference", "batch": args.batch,
          "threads": args.threads, "repeat": args.repeat, "times_ms": times, "onnxruntime": ort.__version__,
          "model": model}, args.json)


if __name__ == "__main__":
    sys.exit(main())
