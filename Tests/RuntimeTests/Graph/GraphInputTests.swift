import Foundation
import Testing
import NetDSL
@testable import Runtime

@Suite struct GraphInputTests {
    @Test func theInputIsTheSourcesFirstOutputWhateverItIsCalled() throws {
        let spec = Net("Images") {
            Input("images", shape: [5, 1, 8, 8]).outputs("images")
            Convolution("conv", outputs: 2, kernel: 3)
        }.spec
        let graph = try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 1))
        #expect(graph.input === graph.blobs["images"])
        #expect(graph.batchSize == 5)
        #expect(graph.blobs["data"] == nil)
    }
}
