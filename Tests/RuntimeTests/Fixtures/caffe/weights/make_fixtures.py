"""Writes small .caffemodel files for Crema's weight-loading tests with Google's protobuf
package, independent of SwiftProtobuf, the way Caffe writes them.

The net is tiny.prototxt beside this script: data 2x1x4x4 -> conv1 (2 outputs, 3x3) -> ip1 (3).

    python3 -m venv /tmp/pbvenv && /tmp/pbvenv/bin/pip install 'protobuf>=4.21,<5'
    protoc --proto_path=../../../../../Proto --python_out=/tmp/pbgen caffe.proto
    PYTHONPATH=/tmp/pbgen /tmp/pbvenv/bin/python make_fixtures.py

Files:
  tiny_v1_legacy.caffemodel   V1 `layers` with legacy num/channels/height/width blobs, as the
                              published bvlc_reference_caffenet.caffemodel stores them (an IP
                              weight as 1x1xOUTxIN, a bias as 1x1x1xN).
  tiny_blobshape.caffemodel   current `layer` with BlobShape dims, as Caffe writes today.
  tiny_transposed.caffemodel  as the legacy file, but ip1's weight stored 1x1xINxOUT: the same
                              count in a shape that does not fit, which must be an error.
"""
import os
import caffe_pb2

here = os.path.dirname(os.path.abspath(__file__))

# Values the Swift test recomputes: blob k of a layer holds (k+1) * (i+1) / 100, sign alternating.
def values(count, k):
    return [(k + 1) * (i + 1) / 100.0 * (1 if i % 2 == 0 else -1) for i in range(count)]

conv_w, conv_b = values(2 * 1 * 3 * 3, 0), values(2, 1)
ip_w, ip_b = values(3 * 8, 0), values(3, 1)


def legacy(blob, n, c, h, w, data):
    blob.num, blob.channels, blob.height, blob.width = n, c, h, w
    blob.data.extend(data)


def v1_net(ip_weight_dims):
    net = caffe_pb2.NetParameter()
    net.name = "Tiny"
    data = net.layers.add()
    data.name, data.type = "data", caffe_pb2.V1LayerParameter.DATA
    data.top.extend(["data"])
    conv = net.layers.add()
    conv.name, conv.type = "conv1", caffe_pb2.V1LayerParameter.CONVOLUTION
    conv.bottom.extend(["data"]); conv.top.extend(["conv1"])
    legacy(conv.blobs.add(), 2, 1, 3, 3, conv_w)
    legacy(conv.blobs.add(), 1, 1, 1, 2, conv_b)
    ip = net.layers.add()
    ip.name, ip.type = "ip1", caffe_pb2.V1LayerParameter.INNER_PRODUCT
    ip.bottom.extend(["conv1"]); ip.top.extend(["ip1"])
    legacy(ip.blobs.add(), *ip_weight_dims, ip_w)
    legacy(ip.blobs.add(), 1, 1, 1, 3, ip_b)
    return net


def shaped(blob, dims, data):
    blob.shape.dim.extend(dims)
    blob.data.extend(data)


def current_net():
    net = caffe_pb2.NetParameter()
    net.name = "Tiny"
    data = net.layer.add()
    data.name, data.type = "data", "Input"
    data.top.extend(["data"])
    conv = net.layer.add()
    conv.name, conv.type = "conv1", "Convolution"
    conv.bottom.extend(["data"]); conv.top.extend(["conv1"])
    shaped(conv.blobs.add(), [2, 1, 3, 3], conv_w)
    shaped(conv.blobs.add(), [2], conv_b)
    ip = net.layer.add()
    ip.name, ip.type = "ip1", "InnerProduct"
    ip.bottom.extend(["conv1"]); ip.top.extend(["ip1"])
    shaped(ip.blobs.add(), [3, 8], ip_w)
    shaped(ip.blobs.add(), [3], ip_b)
    return net


for name, net in [("tiny_v1_legacy.caffemodel", v1_net((1, 1, 3, 8))),
                  ("tiny_blobshape.caffemodel", current_net()),
                  ("tiny_transposed.caffemodel", v1_net((1, 1, 8, 3)))]:
    with open(os.path.join(here, name), "wb") as f:
        f.write(net.SerializeToString())
    print(name, net.ByteSize(), "bytes")
