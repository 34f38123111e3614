import Foundation
import NetDSL

/// Caffe's `NetParameter` for a resolved deploy net (Input, compute layers, Softmax), so that
/// Caffe and OpenCV's dnn importer load what we trained.
public enum DeployPrototxt {
    /// The net as a `NetParameter`; throws for layer kinds that have no place in a deploy net.
    public static func netParameter(for net: NetSpec) throws -> Caffe_NetParameter {
        var result = Caffe_NetParameter()
        result.name = net.name
        result.layer = try net.layers.map(layerParameter)
        return result
    }

    /// The net in Caffe's prototxt text format.
    public static func text(for net: NetSpec) throws -> String {
        try netParameter(for: net).textFormatString()
    }

    static func layerParameter(_ spec: LayerSpec) throws -> Caffe_LayerParameter {
        var layer = Caffe_LayerParameter()
        layer.name = spec.name
        layer.type = spec.kind.typeName
        layer.bottom = spec.bottoms
        layer.top = spec.tops
        switch spec.kind {
        case .input(let p):
            layer.inputParam.shape = p.shapes.map { dims in
                var shape = Caffe_BlobShape()
                shape.dim = dims.map(Int64.init)
                return shape
            }
        case .convolution(let p):
            var c = Caffe_ConvolutionParameter()
            c.numOutput = UInt32(p.numOutput)
            c.kernelH = UInt32(p.kernelH)
            c.kernelW = UInt32(p.kernelW)
            c.strideH = UInt32(p.strideH)
            c.strideW = UInt32(p.strideW)
            c.padH = UInt32(p.padH)
            c.padW = UInt32(p.padW)
            c.group = UInt32(p.group)
            c.biasTerm = p.biasTerm
            layer.convolutionParam = c
        case .innerProduct(let p):
            var c = Caffe_InnerProductParameter()
            c.numOutput = UInt32(p.numOutput)
            c.biasTerm = p.biasTerm
            c.axis = Int32(p.axis)
            layer.innerProductParam = c
        case .relu(let p):
            if p.negativeSlope != 0 { layer.reluParam.negativeSlope = p.negativeSlope }
        case .pooling(let p):
            var c = Caffe_PoolingParameter()
            c.pool = p.method == .max ? .max : .ave
            if p.globalPooling {
                c.globalPooling = true
            } else {
                c.kernelH = UInt32(p.kernelH)
                c.kernelW = UInt32(p.kernelW)
            }
            c.strideH = UInt32(p.strideH)
            c.strideW = UInt32(p.strideW)
            c.padH = UInt32(p.padH)
            c.padW = UInt32(p.padW)
            layer.poolingParam = c
        case .lrn(let p):
            var c = Caffe_LRNParameter()
            c.localSize = UInt32(p.localSize)
            c.alpha = p.alpha
            c.beta = p.beta
            c.k = p.k
            layer.lrnParam = c
        case .dropout(let p):
            layer.dropoutParam.dropoutRatio = p.ratio
        case .softmax(let p):
            layer.softmaxParam.axis = Int32(p.axis)
        case .concat(let p):
            layer.concatParam.axis = Int32(p.axis)
        case .eltwise(let p):
            var c = Caffe_EltwiseParameter()
            switch p.operation {
            case .product: c.operation = .prod
            case .sum: c.operation = .sum
            case .max: c.operation = .max
            }
            c.coeff = p.coeff
            layer.eltwiseParam = c
        case .flatten(let p):
            layer.flattenParam.axis = Int32(p.axis)
            layer.flattenParam.endAxis = Int32(p.endAxis)
        case .sigmoid, .tanh, .split:
            break
        case .data, .softmaxWithLoss, .accuracy:
            throw DeployPrototxtError("layer \(spec.name) (\(spec.kind.typeName)) has no place in a deploy net; export removes data, loss and accuracy layers first")
        }
        return layer
    }
}

/// A net that cannot be written as a deploy prototxt.
public struct DeployPrototxtError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
