/// Max or average pooling, with Caffe's ceil rounding of the output size.
public struct Pooling: NetLayer {
    public var base: LayerSpec
    public var params: PoolingParams
    public var kind: LayerKind { .pooling(params) }

    /// An unnamed pooling layer (named `pool1`, `pool2`, ... by the net).
    public init(_ method: PoolMethod, kernel: Int, stride: Int = 1, pad: Int = 0,
                fileID: String = #fileID, line: Int = #line) {
        self.init("", method, kernel: kernel, stride: stride, pad: pad, fileID: fileID, line: line)
    }

    public init(_ name: String, _ method: PoolMethod, kernel: Int, stride: Int = 1, pad: Int = 0,
                fileID: String = #fileID, line: Int = #line) {
        self.init(name, method, kernel: (kernel, kernel), stride: (stride, stride), pad: (pad, pad),
                  fileID: fileID, line: line)
    }

    public init(_ name: String, _ method: PoolMethod, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                pad: (Int, Int) = (0, 0), fileID: String = #fileID, line: Int = #line) {
        var p = PoolingParams(method: method, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        params = p
        base = baseSpec(name, .pooling(p), fileID, line)
    }

    /// Pooling over the whole spatial extent.
    public static func global(_ name: String = "", _ method: PoolMethod,
                              fileID: String = #fileID, line: Int = #line) -> Pooling {
        var layer = Pooling(name, method, kernel: 1, stride: 1, pad: 0, fileID: fileID, line: line)
        layer.params.globalPooling = true
        return layer
    }

    /// Pools over the whole spatial extent whatever the kernel (Caffe's `global_pooling`).
    public func globalPooling(_ on: Bool = true) -> Self { with { $0.params.globalPooling = on } }
}
