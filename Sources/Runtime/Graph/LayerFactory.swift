import NetDSL

/// Builds the kernel for a layer spec. The switch is exhaustive: a layer kind without a kernel
/// does not compile.
enum LayerFactory {
    static func make(_ spec: LayerSpec, phase: Phase, options: CompileOptions, random: inout RandomGenerator) throws -> Layer {
        switch spec.kind {
        case .data(let p): return try DataLayer(spec: spec, params: p, phase: phase, seed: random.next())
        case .input(let p): return InputLayer(spec: spec, params: p)
        case .convolution(let p): return try ConvolutionEngine.makeLayer(spec: spec, params: p, options: options)
        case .deconvolution(let p): return DeconvolutionLayer(spec: spec, params: p)
        case .innerProduct(let p): return InnerProductLayer(spec: spec, params: p)
        case .relu(let p): return ReLULayer(spec: spec, params: p)
        case .pooling(let p):
            switch p.method {
            case .max: return PoolingLayer(spec: spec, params: p, method: .max)
            case .average: return PoolingLayer(spec: spec, params: p, method: .average)
            case .stochastic: return StochasticPoolingLayer(spec: spec, params: p, phase: phase, random: random.fork())
            }
        case .lrn(let p):
            switch p.normRegion {
            case .acrossChannels: return LRNLayer(spec: spec, params: p)
            case .withinChannel: return LRNWithinChannelLayer(spec: spec, params: p)
            }
        case .dropout(let p): return DropoutLayer(spec: spec, params: p, phase: phase, random: random.fork())
        case .softmax(let p): return SoftmaxLayer(spec: spec, params: p)
        case .softmaxWithLoss(let p): return SoftmaxWithLossLayer(spec: spec, params: p)
        case .accuracy(let p): return AccuracyLayer(spec: spec, params: p)
        case .concat(let p): return ConcatLayer(spec: spec, params: p)
        case .eltwise(let p): return EltwiseLayer(spec: spec, params: p)
        case .flatten(let p): return FlattenLayer(spec: spec, params: p)
        case .sigmoid: return SigmoidLayer(spec: spec)
        case .tanh: return TanHLayer(spec: spec)
        case .elu(let p): return ElementwiseLayer(spec: spec, function: ELUFunction(p))
        case .absVal: return ElementwiseLayer(spec: spec, function: AbsValFunction())
        case .bnll: return ElementwiseLayer(spec: spec, function: BNLLFunction())
        case .power(let p): return ElementwiseLayer(spec: spec, function: PowerFunction(p))
        case .exp(let p): return ElementwiseLayer(spec: spec, function: ExpFunction(p))
        case .log(let p): return ElementwiseLayer(spec: spec, function: LogFunction(p))
        case .threshold(let p): return ElementwiseLayer(spec: spec, function: ThresholdFunction(p))
        case .clip(let p): return ElementwiseLayer(spec: spec, function: ClipFunction(p))
        case .swish(let p): return ElementwiseLayer(spec: spec, function: SwishFunction(p))
        case .prelu(let p): return PReLULayer(spec: spec, params: p)
        case .batchNorm(let p): return BatchNormLayer(spec: spec, params: p, phase: phase)
        case .scale(let p): return ScaleLayer(spec: spec, params: p)
        case .bias(let p): return BiasLayer(spec: spec, params: p)
        case .reshape(let p): return ReshapeLayer(spec: spec, params: p)
        case .silence: return SilenceLayer(spec: spec)
        case .argMax(let p): return ArgMaxLayer(spec: spec, params: p)
        case .slice(let p): return SliceLayer(spec: spec, params: p)
        case .crop(let p): return CropLayer(spec: spec, params: p)
        case .tile(let p): return TileLayer(spec: spec, params: p)
        case .reduction(let p): return ReductionLayer(spec: spec, params: p)
        case .split: return SplitLayer(spec: spec)
        }
    }
}
