import Foundation
import Testing
import NetDSL
@testable import Runtime

/// Sizes a file or a flag controls never wrap around or allocate what cannot exist.
@Suite struct TensorSizeTests {
    @Test func sizesThatCannotBeStoredAreNamedNotWrapped() {
        #expect(Tensor.elementCount([2, 3, 4]) == (24, nil))
        #expect(Tensor.elementCount([]).count == 1)
        #expect(Tensor.elementCount([2, -3]).problem?.contains("negative") == true)
        // 2^32 * 2^32 wraps to 0 in unchecked arithmetic.
        #expect(Tensor.elementCount([1 << 32, 1 << 32]).problem?.contains("multiply beyond") == true)
        // A zero does not hide the overflow of the other sizes.
        #expect(Tensor.elementCount([0, 1 << 32, 1 << 32]).problem?.contains("multiply beyond") == true)
        #expect(Tensor.elementCount([0, 3, 4]) == (0, nil))
        #expect(Tensor.elementCount([1 << 20, 1 << 20, 1 << 10]).problem?.contains("GiB, more than this machine's memory") == true)
        let t = Tensor(shape: [1 << 32, 1 << 32, 3])
        #expect(t.count == 0)
        #expect(t.shapeProblem != nil)
        t.reshape([2, 2])
        #expect(t.count == 4)
        #expect(t.shapeProblem == nil)
    }

    @Test func aHugeInputShapeIsAnErrorNamingTheLayer() throws {
        for dims in [[1 << 31, 1 << 31, 4, 4], [1 << 16, 3, 1 << 16, 1 << 16]] {
            let spec = Net("Huge") {
                Input("data", shape: dims)
                ReLU("relu")
            }.spec
            let error = #expect(throws: LayerError.self) {
                try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 1))
            }
            #expect(error?.layer.contains("layer 'data' (Input)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("its output 'data' would be") == true, "\(String(describing: error))")
        }
    }

    @Test func aHugeLayerSizeIsAnErrorNamingTheLayer() throws {
        let spec = Net("Wide") {
            Input("data", shape: [1, 1 << 20, 1, 1])
            InnerProduct("ip", outputs: 1 << 24)
        }.spec
        let error = #expect(throws: LayerError.self) {
            try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 1))
        }
        #expect(error?.layer.contains("layer 'ip' (InnerProduct)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("its parameter blob 0 would be 16777216x1048576") == true, "\(String(describing: error))")
        #expect(error?.message.contains("GiB, more than this machine's memory") == true, "\(String(describing: error))")
    }
}
