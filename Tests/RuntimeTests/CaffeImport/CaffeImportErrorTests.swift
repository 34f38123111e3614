import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// What Crema cannot import is named with its file and line, every problem at once.
@Suite struct CaffeImportErrorTests {
    private func problems(_ relative: String) -> [CaffeImportError.Problem] {
        CaffeFixtures.importError { _ = try CaffeImport.load(net: CaffeFixtures.path(relative)) }?.problems ?? []
    }

    @Test func unknownLayerTypeNamesItsLine() throws {
        let file = "bad/unknown_type.prototxt"
        let found = problems(file)
        // One problem: the type, not also each of its settings.
        #expect(found.count == 1, "\(found)")
        let problem = try #require(found.first)
        #expect(problem.file == CaffeFixtures.path(file))
        #expect(problem.line == (try CaffeFixtures.line(of: "type: \"LSTM\"", in: file)))
        #expect(problem.message.contains("layer 'lstm1' (LSTM)"))
        #expect(problem.message.contains("'LSTM' is not supported"))
        #expect(problem.description.hasPrefix("\(CaffeFixtures.path(file)):\(problem.line): "))
    }

    @Test func unsupportedFieldsAndValuesAreAllReportedAtTheirLines() throws {
        let file = "bad/unsupported.prototxt"
        let found = problems(file)
        // `backend: LEVELDB` is no problem: the runtime reads LMDB and LevelDB, told by their files.
        let expected: [(fragment: String, says: String)] = [
            ("axis: 2", "layer 'conv1' (Convolution): 'convolution_param.axis: 2' is not supported by Crema"),
            ("pad: 1", "layer 'pool1' (Pooling): Caffe pads only MAX and AVE pooling"),
            ("not_a_caffe_field", "layer 'ip1' (InnerProduct): field 'inner_product_param.not_a_caffe_field: 3' is not supported"),
            ("stage: \"fast\"", "layer 'loss' (SoftmaxWithLoss): 'include.stage: \"fast\"' is not supported by Crema"),
        ]
        #expect(found.count == expected.count, "\(found)")
        for (problem, want) in zip(found, expected) {
            #expect(problem.line == (try CaffeFixtures.line(of: want.fragment, in: file)), "\(problem)")
            #expect(problem.message.hasPrefix(want.says), "\(problem)")
        }
        // One line each in the error's text.
        let error = try #require(CaffeFixtures.importError { _ = try CaffeImport.load(net: CaffeFixtures.path(file)) })
        #expect(error.description.split(separator: "\n").count == expected.count)
    }

    @Test func valueOutsideTheSchemaNamesItsLine() throws {
        let file = "bad/bad_value.prototxt"
        let found = problems(file)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == (try CaffeFixtures.line(of: "pool: FANCY", in: file)))
        #expect(found.first?.message.contains("'layer.pooling_param.pool: FANCY' cannot be read") == true, "\(found)")
    }

    @Test func syntaxErrorsNameTheirLine() throws {
        let missingColon = problems("bad/syntax.prototxt")
        #expect(missingColon.count == 1)
        #expect(missingColon.first?.line == (try CaffeFixtures.line(of: "type \"Convolution\"", in: "bad/syntax.prototxt")))
        #expect(missingColon.first?.message.contains("expected ':' after 'type'") == true, "\(missingColon)")

        let unclosed = problems("bad/unclosed.prototxt")
        #expect(unclosed.first?.message.contains("'layer' (opened on line 3)") == true, "\(unclosed)")
    }

    @Test func missingFileIsNamed() {
        let error = CaffeFixtures.importError { _ = try CaffeImport.load(net: "/nonexistent/net.prototxt") }
        #expect(error?.description == "/nonexistent/net.prototxt: no such file")
    }

    @Test func layerProblemsFromInlineText() throws {
        let text = """
        name: "n"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 6 dim: 6 } } }
        layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
                pooling_param { kernel_size: 2 kernel_size: 3 } }
        layer { name: "ip" type: "InnerProduct" top: "ip" inner_product_param { num_output: 2 } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3 } }
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
                inner_product_param { num_output: 2 weight_filler { type: "orthogonal" } } }
        """
        let found = CaffeFixtures.importError { _ = try CaffeImport.parse(netText: text, file: "inline.prototxt") }?.problems ?? []
        #expect(found.map(\.line) == [4, 5, 7, 9], "\(found)")
        #expect(found.map(\.file) == Array(repeating: "inline.prototxt", count: 4))
        #expect(found[0].message.contains("'pooling_param.kernel_size' is given 2 times"))
        #expect(found[1].message.contains("layer 'ip' (InnerProduct): has no bottom"))
        #expect(found[2].message.contains("both kernel_size and kernel_h/kernel_w"))
        #expect(found[3].message.contains("'inner_product_param.weight_filler.type: \"orthogonal\"' is not supported"))
    }

    @Test func solverProblemsNameTheSolversLines() throws {
        let text = """
        net: "lenet_train_test.prototxt"
        base_lr: 0.01
        lr_policy: "cosine"
        max_iter: 100
        test_iter: 10
        test_iter: 20
        test_interval: 50
        snapshot_format: HDF5
        regularization_type: "L3"
        """
        let file = CaffeFixtures.path("examples/mnist/bad_solver.prototxt")
        let found = CaffeFixtures.importError { _ = try CaffeImport.parse(solverText: text, file: file) }?.problems ?? []
        #expect(found.map(\.line) == [3, 6, 8, 9], "\(found)")
        #expect(found.allSatisfy { $0.file == file })
        #expect(found.first?.message.contains("'lr_policy: \"cosine\"' is not supported") == true)
    }

    @Test func missingNetFileIsNamedAtTheSolverLine() throws {
        let text = "base_lr: 0.1\nlr_policy: \"fixed\"\nnet: \"no_such_net.prototxt\"\n"
        let found = CaffeFixtures.importError {
            _ = try CaffeImport.parse(solverText: text, file: CaffeFixtures.path("solver.prototxt"))
        }?.problems ?? []
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.message.contains("net file 'no_such_net.prototxt' not found") == true, "\(found)")
    }

    @Test func problemsInTheNetFileNameThatFile() throws {
        let text = "net: \"../bad/unknown_type.prototxt\"\nbase_lr: 0.1\nlr_policy: \"fixed\"\n"
        let found = CaffeFixtures.importError {
            _ = try CaffeImport.parse(solverText: text, file: CaffeFixtures.path("v1/solver.prototxt"))
        }?.problems ?? []
        #expect(found.count == 1)
        #expect(found.first?.file.hasSuffix("bad/unknown_type.prototxt") == true, "\(found)")
    }
}
