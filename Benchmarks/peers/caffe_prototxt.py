"""A small reader of Caffe net prototxts, enough to check the peers' PyTorch nets against the
nets Crema runs: each convolution, inner product and pooling layer in order, and the count of
learnable values (convolution and inner-product weights and biases, Scale's scale and bias;
BatchNorm's statistics are not learned).

    python caffe_prototxt.py NET.prototxt                           # prints the summary
    python caffe_prototxt.py DEPLOY.prototxt --training-net OUT.prototxt  # see training_net()

Covers the layer types of ResNet-50 and MobileNet v1 (Convolution, BatchNorm, Scale, ReLU,
Pooling, Eltwise, InnerProduct, Softmax, Input); any other type stops with an error.
"""

import math
import re
import sys

TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[{}:]|[^\s{}:#"\']+')


class PrototxtError(Exception):
    pass


def tokens(text):
    """The prototxt's tokens: names, values, quoted strings (unquoted), braces and colons."""
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match:
            raise PrototxtError(f"cannot read the prototxt at character {position}: {text[position:position + 40]!r}")
        position = match.end()
        token = match.group()
        if token.isspace() or token.startswith("#"):
            continue
        yield token


def parse(text):
    """Protobuf text format as nested dicts: every field maps to the list of its values
    (a message is a dict, a scalar is a str)."""
    stream = list(tokens(text))
    message, end = parse_message(stream, 0)
    if end != len(stream):
        raise PrototxtError(f"unexpected '{stream[end]}' at the top level")
    return message


def parse_message(stream, i):
    fields = {}
    while i < len(stream) and stream[i] != "}":
        name = stream[i]
        i += 1
        if i < len(stream) and stream[i] == ":":
            i += 1
        if i >= len(stream):
            raise PrototxtError(f"the field '{name}' has no value")
        if stream[i] == "{":
            value, i = parse_message(stream, i + 1)
            if i >= len(stream):
                raise PrototxtError(f"the message '{name}' is not closed")
            i += 1  # the closing brace
        else:
            value = stream[i].strip("\"'")
            i += 1
        fields.setdefault(name, []).append(value)
    return fields, i


def one(message, name, default=None, kind=str):
    """The field's single value as `kind`, or `default` when it is absent."""
    values = message.get(name)
    if not values:
        return default
    if len(values) > 1:
        raise PrototxtError(f"'{name}' is given {len(values)} times where Caffe takes one")
    return kind(values[0]) if kind is not str else values[0]


def square(param, name, default):
    """kernel_size, stride or pad: one value for both axes (or _h and _w that agree)."""
    values = [int(v) for v in param.get(name, [])]
    h, w = one(param, name + "_h", None, int), one(param, name + "_w", None, int)
    if h is not None or w is not None:
        if h != w:
            raise PrototxtError(f"{name}_h {h} and {name}_w {w} differ; only square windows are checked")
        values = [h]
    if len(set(values)) > 1:
        raise PrototxtError(f"{name} {values} differ by axis; only square windows are checked")
    return values[0] if values else default


def net_inputs(net):
    """{blob: shape} of the net's inputs: the legacy input fields or its Input layers."""
    names = net.get("input", [])
    shapes = [[int(d) for d in s.get("dim", [])] for s in net.get("input_shape", [])]
    dims = [int(d) for d in net.get("input_dim", [])]
    if dims:
        shapes = [dims[4 * k:4 * k + 4] for k in range(len(dims) // 4)]
    if len(shapes) != len(names):
        raise PrototxtError(f"the net names {len(names)} inputs but gives {len(shapes)} shapes")
    return dict(zip(names, shapes))


def summarize(path, batch=1):
    """What the peers check in the net at `path`: {"layers": [signature, ...] of every
    convolution, inner product and pooling in order, "parameters": learnable values,
    "batch_norms": count, "scales": count, "output": final blob shape}. Signatures are those
    torch_signatures() gives a PyTorch net."""
    with open(path) as f:
        net = parse(f.read())
    shapes = {name: [batch] + shape[1:] for name, shape in net_inputs(net).items()}
    summary = {"layers": [], "parameters": 0, "batch_norms": 0, "scales": 0, "output": None}
    for layer in net.get("layer", []) + net.get("layers", []):
        name, kind = one(layer, "name", "?"), one(layer, "type", "?")
        bottoms, tops = layer.get("bottom", []), layer.get("top", [])
        try:
            ins = [shapes[b] for b in bottoms]
        except KeyError as missing:
            raise PrototxtError(f"layer '{name}' reads {missing}, which no earlier layer writes")
        out = apply_layer(summary, layer, kind, ins, batch)
        for top in tops:
            shapes[top] = out
        summary["output"] = out
    return summary


def apply_layer(summary, layer, kind, ins, batch):
    """Adds the layer to the summary and returns its output shape (for every top); an Input
    layer's first axis is `batch`."""
    name = one(layer, "name", "?")
    if kind == "Input":
        shape = [[int(d) for d in s.get("dim", [])] for s in one(layer, "input_param", {}).get("shape", [])]
        return [batch] + shape[0][1:]
    n, c, h, w = (ins[0] + [1, 1, 1, 1])[:4]
    if kind == "Convolution":
        p = one(layer, "convolution_param", {})
        outputs, groups = one(p, "num_output", None, int), one(p, "group", 1, int)
        k, s, pad = square(p, "kernel_size", None), square(p, "stride", 1), square(p, "pad", 0)
        bias = one(p, "bias_term", "true") == "true"
        if one(p, "dilation", 1, int) != 1:
            raise PrototxtError(f"layer '{name}' is dilated; not covered")
        summary["layers"].append(("conv", c, outputs, k, s, pad, groups, bias))
        summary["parameters"] += outputs * (c // groups) * k * k + (outputs if bias else 0)
        return [n, outputs, (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1]
    if kind == "InnerProduct":
        p = one(layer, "inner_product_param", {})
        outputs, bias = one(p, "num_output", None, int), one(p, "bias_term", "true") == "true"
        inputs = c * h * w
        summary["layers"].append(("fc", inputs, outputs, bias))
        summary["parameters"] += inputs * outputs + (outputs if bias else 0)
        return [n, outputs]
    if kind == "Pooling":
        p = one(layer, "pooling_param", {})
        method = {"MAX": "max", "AVE": "ave"}[one(p, "pool", "MAX")]
        if one(p, "global_pooling", "false") == "true":
            summary["layers"].append(("pool", method, "global"))
            return [n, c, 1, 1]
        k, s, pad = square(p, "kernel_size", None), square(p, "stride", 1), square(p, "pad", 0)
        rounding = one(p, "round_mode", "CEIL").lower()
        size = (math.ceil if rounding == "ceil" else math.floor)((h + 2 * pad - k) / s) + 1
        summary["layers"].append(("pool", method, k, s, pad, rounding))
        return [n, c, size, size]
    if kind == "BatchNorm":
        summary["batch_norms"] += 1
        return ins[0]
    if kind == "Scale":
        p = one(layer, "scale_param", {})
        summary["scales"] += 1
        summary["parameters"] += c * (2 if one(p, "bias_term", "false") == "true" else 1)
        return ins[0]
    if kind in ("ReLU", "Softmax", "Eltwise"):
        return ins[0]
    raise PrototxtError(f"layer '{name}' has type {kind}, which this reader does not cover")


def training_net(deploy_text):
    """A deploy net (legacy `input:` fields, BatchNorm on stored statistics, a closing
    Softmax) as the net that trains it, all else unchanged: an Input layer that also gives
    labels, BatchNorm without `use_global_stats` (so training normalises by each batch, as
    Caffe's train phase does), and SoftmaxWithLoss in place of the Softmax. Text in, text out."""
    net = parse(deploy_text)
    inputs = net_inputs(net)
    if len(inputs) != 1:
        raise PrototxtError(f"expected a deploy net with one legacy input, not {sorted(inputs) or 'none'}")
    (data, shape), = inputs.items()
    softmaxes = [layer for layer in net.get("layer", []) if one(layer, "type") == "Softmax"]
    if len(softmaxes) != 1 or len(softmaxes[0].get("bottom", [])) != 1:
        raise PrototxtError(f"expected one Softmax layer with one input, found {len(softmaxes)}")
    scores = softmaxes[0]["bottom"][0]
    lines = deploy_text.splitlines()
    # The legacy input fields, at the top level only (no indentation).
    kept = [line for line in lines if not re.match(r"(input|input_dim|input_shape)\s*[:{]", line)]
    if any(line.startswith("input_shape") for line in lines):
        raise PrototxtError("input_shape messages are not rewritten; give the input with input_dim")
    text = "\n".join(kept) + "\n"
    text, stats = re.subn(r"\n\s*use_global_stats:\s*true[ \t]*(?=\n)", "", text)
    norms = sum(1 for layer in net.get("layer", []) if one(layer, "type") == "BatchNorm")
    if stats != norms:
        raise PrototxtError(f"removed use_global_stats from {stats} places, but the net has {norms} BatchNorm layers")
    text, replaced = re.subn(r'type:\s*"Softmax"', 'type: "SoftmaxWithLoss"', text)
    if replaced != 1:
        raise PrototxtError(f"found {replaced} Softmax types to replace, not 1")
    text = re.sub(r'(type:\s*"SoftmaxWithLoss"\s*\n(\s*)bottom:\s*"' + re.escape(scores) + r'")',
                  lambda m: m.group(1) + f'\n{m.group(2)}bottom: "label"', text, count=1)
    dims = " ".join(f"dim: {d}" for d in shape)
    input_layer = (f'layer {{\n  name: "{data}"\n  type: "Input"\n  top: "{data}"\n  top: "label"\n'
                   f'  input_param {{ shape {{ {dims} }} shape {{ dim: {shape[0]} }} }}\n}}\n')
    first = text.index("layer {")
    text = text[:first] + input_layer + text[first:]
    check = parse(text)
    losses = [layer for layer in check["layer"] if one(layer, "type") == "SoftmaxWithLoss"]
    if len(losses) != 1 or losses[0].get("bottom") != [scores, "label"]:
        raise PrototxtError(f"the rewritten loss reads {losses[0].get('bottom') if losses else None}, not [{scores}, label]")
    return text


def torch_signatures(torch, model):
    """The same signatures as summarize()'s "layers" for a PyTorch model, in module order."""
    nn = torch.nn
    layers = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            sizes = {m.kernel_size[0], m.kernel_size[1]}, {m.stride[0], m.stride[1]}, {m.padding[0], m.padding[1]}
            if any(len(s) != 1 for s in sizes):
                raise PrototxtError(f"{m} is not square")
            layers.append(("conv", m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], m.padding[0],
                           m.groups, m.bias is not None))
        elif isinstance(m, nn.Linear):
            layers.append(("fc", m.in_features, m.out_features, m.bias is not None))
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            if m.output_size not in (1, (1, 1)):
                raise PrototxtError(f"{m} is not a global pooling")
            layers.append(("pool", "ave", "global"))
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            method = "max" if isinstance(m, nn.MaxPool2d) else "ave"
            layers.append(("pool", method, m.kernel_size, m.stride, m.padding, "ceil" if m.ceil_mode else "floor"))
    return layers


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "--training-net":
        with open(sys.argv[1]) as f:
            text = training_net(f.read())
        with open(sys.argv[3], "w") as f:
            f.write(text)
        print(f"wrote {sys.argv[3]}")
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    summary = summarize(sys.argv[1])
    for signature in summary.pop("layers"):
        print(signature)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
