"""ResNet-50 and MobileNet v1 in PyTorch, layer for layer as the Caffe nets Crema runs, and the
check that they are: the same convolutions, inner products and poolings in the same order as the
prototxt, and the same number of learnable values.

- resnet50: He et al.'s published Caffe ResNet-50 (Recipes/ResNet50.swift, checked against
  Tests/RuntimeTests/Fixtures/caffe/models/resnet50/ResNet-50-deploy.prototxt). Unlike
  torchvision's resnet50: the stride 2 of a stage's first block is on its 1x1 convolutions
  (branch1 and branch2a), not the 3x3; conv1 has biases; pool1 is Caffe's 3x3/2 max pooling
  without padding and with ceil rounding; pool5 is a 7x7 average pooling. BatchNorm then Scale
  is BatchNorm2d with its affine scale and bias.
- mobilenet: Tests/RuntimeTests/Fixtures/caffe/zoo/mobilenet_v1_deploy.prototxt: 3x3
  depthwise convolutions (group = channels) each followed by a 1x1 one, BatchNorm and Scale and
  ReLU after every convolution, global average pooling and fc7 as a 1x1 convolution with biases.

Weights are Caffe's MSRA filler (normal, std sqrt(2 / fan-in)), biases 0, BatchNorm scale 1 and
bias 0. All 224x224 inputs, 1000 classes.
"""

import os

from caffe_prototxt import PrototxtError, summarize, torch_signatures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "RuntimeTests", "Fixtures", "caffe")

# name -> (the Caffe net it mirrors, learnable values: what the prototxt and Crema's recipe hold).
# ResNet-50: torchvision's 25,557,032 plus conv1's 64 biases (as Tests/RuntimeTests/Recipes/
# ResNet50Tests.swift expects of the recipe); MobileNet v1: Keras's 4,231,976 trainable values.
NETS = {
    "resnet50": (os.path.join(FIXTURES, "models", "resnet50", "ResNet-50-deploy.prototxt"), 25_557_096),
    "mobilenet": (os.path.join(FIXTURES, "zoo", "mobilenet_v1_deploy.prototxt"), 4_231_976),
}
INPUT_SIZE = 224
CLASSES = 1000


class NetMismatch(Exception):
    pass


def msra(torch, module):
    """Caffe's MSRA filler on every convolution and inner product, biases 0."""
    for m in module.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
    return module


def conv_bn(torch, cin, cout, kernel, stride=1, groups=1, relu=True, bias=False):
    """Convolution (padding kernel // 2), BatchNorm and Scale (BatchNorm2d's affine), ReLU."""
    nn = torch.nn
    layers = [nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=bias),
              nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def resnet50(torch):
    """Caffe's ResNet-50: conv1, pool1, stages res2-res5 of 3, 4, 6 and 3 bottlenecks, pool5, fc1000."""
    nn = torch.nn

    class Bottleneck(nn.Module):
        """1x1 to `width` (strided where the stage begins), 3x3, 1x1 to 4 x `width`, added to the
        shortcut (a strided 1x1 projection, branch1, in a stage's first block), then ReLU."""

        def __init__(self, cin, width, stride, projection):
            super().__init__()
            # Registered first: Caffe's prototxt lists branch1 before branch2a.
            self.branch1 = conv_bn(torch, cin, 4 * width, 1, stride, relu=False) if projection else None
            self.branch2 = nn.Sequential(conv_bn(torch, cin, width, 1, stride), conv_bn(torch, width, width, 3),
                                         conv_bn(torch, width, 4 * width, 1, relu=False))
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            shortcut = x if self.branch1 is None else self.branch1(x)
            return self.relu(self.branch2(x) + shortcut)

    layers = [conv_bn(torch, 3, 64, 7, 2, bias=True), nn.MaxPool2d(3, 2, padding=0, ceil_mode=True)]
    cin = 64
    for stage, (blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)]):
        for block in range(blocks):
            layers.append(Bottleneck(cin, width, 2 if block == 0 and stage > 0 else 1, projection=block == 0))
            cin = 4 * width
    layers += [nn.AvgPool2d(7, stride=1, ceil_mode=True), nn.Flatten(), nn.Linear(2048, CLASSES)]
    return msra(torch, nn.Sequential(*layers))


# MobileNet v1's depthwise-separable blocks after conv1: (input channels, output channels, stride).
MOBILENET_BLOCKS = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] \
    + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]


def mobilenet(torch):
    """MobileNet v1 as the Caffe deploy net: conv1, 13 depthwise + pointwise pairs, pool6, fc7."""
    nn = torch.nn
    layers = [conv_bn(torch, 3, 32, 3, 2)]
    for cin, cout, stride in MOBILENET_BLOCKS:
        layers += [conv_bn(torch, cin, cin, 3, stride, groups=cin), conv_bn(torch, cin, cout, 1)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Conv2d(1024, CLASSES, 1), nn.Flatten()]
    return msra(torch, nn.Sequential(*layers))


BUILDERS = {"resnet50": resnet50, "mobilenet": mobilenet}


def build(torch, name):
    """The PyTorch net `name`, checked against its Caffe prototxt; NetMismatch says how it differs."""
    net = BUILDERS[name](torch)
    check(torch, net, name)
    return net


def check(torch, net, name):
    """Raises NetMismatch unless `net` has the prototxt's convolutions, inner products and
    poolings in order, one BatchNorm2d per BatchNorm+Scale pair, and its learnable values."""
    path, expected = NETS[name]
    try:
        caffe = summarize(path)
    except (OSError, PrototxtError) as error:
        raise NetMismatch(f"cannot read {path}: {error}")
    ours = torch_signatures(torch, net)
    for i, (a, b) in enumerate(zip(ours, caffe["layers"])):
        if a != b:
            raise NetMismatch(f"layer {i} of the PyTorch {name} is {a}; {path} has {b}")
    if len(ours) != len(caffe["layers"]):
        raise NetMismatch(f"the PyTorch {name} has {len(ours)} convolution/inner-product/pooling layers; "
                          f"{path} has {len(caffe['layers'])}")
    norms = sum(1 for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d) and m.affine)
    if not norms == caffe["batch_norms"] == caffe["scales"]:
        raise NetMismatch(f"the PyTorch {name} has {norms} affine BatchNorm2d; {path} has "
                          f"{caffe['batch_norms']} BatchNorm and {caffe['scales']} Scale layers")
    count = parameter_count(net)
    if not count == caffe["parameters"] == expected:
        raise NetMismatch(f"the PyTorch {name} has {count} learnable values, {path} {caffe['parameters']}; "
                          f"expected {expected}")
    return count


def parameter_count(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def calibrate(torch, net, x):
    """Sets every BatchNorm's running statistics to those of the batch x (one train-mode pass),
    so that eval mode normalises as a trained net would: with the initial mean 0 and variance 1,
    ResNet-50's residual sums grow block by block and the probabilities saturate."""
    norms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: after one batch, that batch's statistics
    net.train()
    with torch.no_grad():
        net(x)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return net.eval()


def inputs(torch, batch):
    """Uniform in [-128, 128) like mean-subtracted pixels, as Crema's generated inputs."""
    return torch.empty(batch, 3, INPUT_SIZE, INPUT_SIZE).uniform_(-128, 128)
