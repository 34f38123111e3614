"""CaffeNet inference in ONNX Runtime CPU: the PyTorch CaffeNet of caffenet_torch.py (eval mode,
with the softmax of a deploy net) exported to ONNX, run with intra_op_num_threads = --threads.

    python caffenet_ort.py --export [--model FILE]        # once: export and check against PyTorch
    python caffenet_ort.py --batch 64 [--repeat 5]         # time (imports only onnxruntime, numpy)

The export checks ONNX Runtime's output against PyTorch's on two images before it keeps the
file; timing processes then load neither torch nor its memory. Prints one JSON line.
"""

import argparse
import os
import sys
import warnings

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
from peers_common import emit, fail, session_for, set_threads, timed

DEFAULT_MODEL = os.path.join(os.environ.get("TMPDIR", "/tmp"), "crema-peers", "caffenet.onnx")


def export(path, threads, seed):
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    import caffenet_torch

    # The classic exporter warns that it is deprecated and about Slice folding; neither matters here.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    net = caffenet_torch.build(torch).eval()
    # torch writes LocalResponseNorm as pad/pool/pow nodes; ONNX has an LRN operator with
    # Caffe's definition, which ONNX Runtime runs as one kernel. Give ORT its best graph.
    for i, layer in enumerate(net):
        if isinstance(layer, torch.nn.LocalResponseNorm):
            net[i] = onnx_lrn(torch, layer)
    model = torch.nn.Sequential(net, torch.nn.Softmax(dim=1)).eval()
    sample = torch.empty(2, 3, 227, 227).uniform_(-128, 128)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    partial = path + ".partial"
    torch.onnx.export(model, (sample,), partial, input_names=["data"], output_names=["prob"],
                      dynamic_axes={"data": {0: "batch"}, "prob": {0: "batch"}}, opset_version=17, dynamo=False)
    session = session_for(ort, partial, threads)
    got = session.run(["prob"], {"data": sample.numpy()})[0]
    with torch.inference_mode():
        want = model(sample).numpy()
    # Compare log-probabilities: the probabilities of 1000 classes are all small.
    error = float(np.abs(np.log(got) - np.log(want)).max())
    if not error < 1e-3:
        fail(f"ONNX Runtime's CaffeNet differs from PyTorch's by {error} in log-probability; not keeping {path}")
    lrn_nodes = sum(1 for node in onnx.load(partial).graph.node if node.op_type == "LRN")
    if lrn_nodes != 2:
        fail(f"the exported graph has {lrn_nodes} LRN nodes, not CaffeNet's 2")
    os.replace(partial, path)
    print(f"exported {path}; ONNX Runtime matches PyTorch within {error:.1e} (log-probabilities)")


def onnx_lrn(torch, layer):
    """`layer` (a LocalResponseNorm) as a module that exports to ONNX's LRN node."""
    size, alpha, beta, k = layer.size, layer.alpha, layer.beta, layer.k

    class LRNFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.nn.functional.local_response_norm(x, size, alpha, beta, k)

        @staticmethod
        def symbolic(g, x):
            return g.op("LRN", x, alpha_f=alpha, beta_f=beta, bias_f=k, size_i=size)

    class ExportedLRN(torch.nn.Module):
        def forward(self, x):
            return LRNFunction.apply(x)

    return ExportedLRN()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", action="store_true", help="export the model (needs torch) and exit")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the record to this file")
    args = parser.parse_args()
    set_threads(args.threads)
    if args.export:
        export(args.model, args.threads, args.seed)
        return 0
    if not os.path.exists(args.model):
        fail(f"{args.model} does not exist; run `python caffenet_ort.py --export` first")
    import numpy as np
    import onnxruntime as ort

    session = session_for(ort, args.model, args.threads)
    x = np.random.default_rng(args.seed).uniform(-128, 128, (args.batch, 3, 227, 227)).astype(np.float32)

    def run():
        return session.run(["prob"], {"data": x})[0]

    times, prob = timed(run, args.repeat)
    sums = prob.sum(axis=1)
    if prob.shape != (args.batch, 1000) or not np.all(np.abs(sums - 1) < 1e-3):
        fail(f"ONNX Runtime's output is {prob.shape} with row sums {sums[:4]}; expected probabilities over 1000 classes")
    emit({"system": "onnxruntime", "net": "caffenet", "mode": "inference", "batch": args.batch,
          "threads": args.threads, "repeat": args.repeat, "times_ms": times, "onnxruntime": ort.__version__,
          "model": args.model}, args.json)


if __name__ == "__main__":
    sys.exit(main())
