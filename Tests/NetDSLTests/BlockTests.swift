import Foundation
import Testing
@testable import NetDSL

/// A residual block as a user writes one: it reads the block's input twice and leaves its
/// output under the block's name.
private func residual(_ name: String, width: Int) -> Block {
    Block(name) { input in
        Convolution("\(name)_a", outputs: width, kernel: 3, pad: 1).inputs(input)
        ReLU("\(name)_a_relu")
        Convolution("\(name)_b", outputs: width, kernel: 3, pad: 1)
        Eltwise("\(name)_sum", .sum, input, "\(name)_b")
        ReLU("\(name)_relu")
    }
}

/// A block function with a mistake inside: its convolution reads a blob nobody writes.
private let brokenLine = #line + 4
@NetBuilder
private func broken(_ name: String) -> [LayerSpec] {
    ReLU("\(name)_relu")
    Convolution("\(name)_conv", outputs: 4, kernel: 1).inputs("nowhere")
}

@Suite struct BlockTests {
    @Test func aBlockReadsThePreviousOutputAndItsNameStandsForItsOutput() throws {
        let spec = Net("Blocks") {
            Input("data", shape: [1, 8, 6, 6])
            residual("res1", width: 8)
            residual("res2", width: 8)
            Pooling("pool", .max, kernel: 2, stride: 2).inputs("res1")
            Concat("both", "res2", "pool2")
            Pooling("pool2", .average, kernel: 2, stride: 2).inputs("res2")
        }.spec
        let error = #expect(throws: SpecError.self) { try spec.resolved(for: .test) }
        #expect(error?.message.contains("'pool2'") == true, "Concat before pool2 reads a blob not yet written")

        let net = try Net("Blocks") {
            Input("data", shape: [1, 8, 6, 6])
            residual("res1", width: 8)
            residual("res2", width: 8)
            Pooling("pool", .max, kernel: 2, stride: 2).inputs("res1")
            Pooling("pool2", .average, kernel: 2, stride: 2).inputs("res2")
            Concat("both", "pool", "pool2")
        }.spec.resolved(for: .test)
        let layer = { (name: String) in net.layers.first { $0.name == name } }
        #expect(layer("res1_a")?.bottoms == ["data"], "the first block reads the Input")
        #expect(layer("res1_sum")?.bottoms == ["data", "res1_b"], "and its shortcut reads the same input")
        #expect(layer("res2_a")?.bottoms == ["res1_sum"], "the second reads the first's output")
        #expect(layer("res2_sum")?.bottoms == ["res1_sum", "res2_b"])
        #expect(layer("pool")?.bottoms == ["res1_sum"], "a block's name stands for its output")
        #expect(layer("pool2")?.bottoms == ["res2_sum"])
    }

    @Test func aBlockTakesAnInputAndBlocksNest() throws {
        let net = try Net("Nested") {
            Input("data", shape: [1, 4, 6, 6])
            Input("other", shape: [1, 4, 6, 6]).outputs("other")
            Block("stage") { input in
                residual("inner1", width: 4).inputs(input)
                residual("inner2", width: 4)
            }.inputs("data")
            Pooling("pool", .max, kernel: 2, stride: 2).inputs("stage")
        }.spec.resolved(for: .test)
        let layer = { (name: String) in net.layers.first { $0.name == name } }
        #expect(layer("inner1_a")?.bottoms == ["data"], "not the Input just before the block")
        #expect(layer("inner2_a")?.bottoms == ["inner1_sum"])
        #expect(layer("pool")?.bottoms == ["inner2_sum"], "the outer block's output is its last inner block's")
        #expect(layer("inner2_b")?.blocks.map(\.name) == ["stage", "inner2"])
    }

    @Test func blocksSurviveJSON() throws {
        let spec = Net("Blocks") {
            Input("data", shape: [1, 8, 6, 6])
            residual("res1", width: 8)
            Pooling("pool", .max, kernel: 2, stride: 2).inputs("res1")
        }.spec
        let json = try SpecJSON.encoder().encode(spec)
        let back = try SpecJSON.decoder().decode(NetSpec.self, from: json)
        #expect(back == spec)
        #expect(try back.resolved(for: .test) == spec.resolved(for: .test))
    }

    @Test func anErrorInsideABlockNamesTheCallAsWellAsTheLine() throws {
        let callLine = #line + 3
        let spec = Net("Broken") {
            Input("data", shape: [1, 4, 6, 6])
            broken("b1")
        }.spec
        let error = try #require(#expect(throws: SpecError.self) { try spec.resolved(for: .test) })
        #expect(error.description.hasPrefix("layer 'b1_conv' (Convolution) at NetDSLTests/BlockTests.swift:\(brokenLine), called from :\(callLine): reads blob 'nowhere'"),
                "\(error)")

        let blockLine = #line + 3
        let inBlock = Net("Broken") {
            Input("data", shape: [1, 4, 6, 6])
            Block("outer") { _ in broken("b2") }
        }.spec
        let nested = try #require(#expect(throws: SpecError.self) { try inBlock.resolved(for: .test) })
        #expect(nested.description.contains("at NetDSLTests/BlockTests.swift:\(brokenLine), in block outer, called from :\(blockLine):"), "\(nested)")
    }

    @Test func twoBlocksWithOneNameAreAnError() throws {
        let spec = Net("Twice") {
            Input("data", shape: [1, 8, 6, 6])
            Block("same") { _ in ReLU("r1") }
            ReLU("between")
            Block("same") { _ in ReLU("r2") }
        }.spec
        let error = #expect(throws: SpecError.self) { try spec.resolved(for: .test) }
        #expect(error?.message.contains("block 'same'") == true, "\(String(describing: error))")
        // Side by side, as a loop writes them: still two blocks, not one.
        let adjacent = Net("Loop") {
            Input("data", shape: [1, 8, 6, 6])
            for _ in 0..<2 { Block("same") { input in ReLU().inputs(input).outputs("r") } }
        }.spec
        let twice = #expect(throws: SpecError.self) { try adjacent.resolved(for: .test) }
        #expect(twice?.message.contains("begins block 'same'") == true, "\(String(describing: twice))")
        let json = try? SpecJSON.decoder().decode(NetSpec.self, from: SpecJSON.encoder().encode(adjacent))
        #expect(throws: SpecError.self, "and after a trip through recipe.json") { try json?.resolved(for: .test) }
    }

    @Test func aBlockWithNothingBeforeItSaysWhatToDo() {
        let spec = Net("Empty") {
            residual("res1", width: 8)
            Input("data", shape: [1, 8, 6, 6])
        }.spec
        let error = #expect(throws: SpecError.self) { try spec.resolved(for: .test) }
        #expect(error?.message.contains("give the block its input with .inputs") == true, "\(String(describing: error))")
    }
}

// The README's blocks, as written there.

/// A residual block: two 3x3 convolutions with BatchNorm and Scale, added to the block's input.
private func readmeResidual(_ name: String, width: Int) -> Block {
    Block(name) { input in
        Convolution("\(name)_a", outputs: width, kernel: 3, pad: 1, bias: false).inputs(input)
        BatchNorm("\(name)_a_bn")
        Scale("\(name)_a_scale", bias: true)
        ReLU()
        Convolution("\(name)_b", outputs: width, kernel: 3, pad: 1, bias: false)
        BatchNorm("\(name)_b_bn")
        Scale("\(name)_b_scale", bias: true)
        Eltwise("\(name)_sum", .sum, input, "\(name)_b")
        ReLU()
    }
}

/// An Inception-style module: branches from one input, joined along the channels.
private func readmeBranches(_ name: String) -> Block {
    Block(name) { input in
        Convolution("\(name)/1x1", outputs: 64, kernel: 1).inputs(input)
        Convolution("\(name)/3x3", outputs: 96, kernel: 3, pad: 1).inputs(input)
        Pooling("\(name)/pool", .max, kernel: 3, pad: 1).inputs(input)
        Concat("\(name)/output", "\(name)/1x1", "\(name)/3x3", "\(name)/pool")
    }
}

extension BlockTests {
    @Test func theReadmeBlocksWireAsTheReadmeSays() throws {
        let net = try Net("Readme") {
            Input("data", shape: [1, 64, 16, 16])
            Pooling("pool1", .max, kernel: 3, stride: 2)
            for i in 1...3 { readmeResidual("res\(i)", width: 64) }
            readmeBranches("mixed")
            Pooling("side", .average, kernel: 2).inputs("res2")
        }.spec.resolved(for: .test)
        let layer = { (name: String) in net.layers.first { $0.name == name } }
        #expect(layer("res1_a")?.bottoms == ["pool1"])
        #expect(layer("res1_sum")?.bottoms == ["pool1", "res1_b"])
        #expect(layer("res2_a")?.bottoms == ["res1_sum"])
        #expect(layer("mixed/1x1")?.bottoms == ["res3_sum"])
        #expect(layer("mixed/pool")?.bottoms == ["res3_sum"])
        #expect(layer("side")?.bottoms == ["res2_sum"])
    }
}

extension BlockTests {
    /// The functions above are the README's, line for line (comments aside), so the README's
    /// example is the code this suite runs.
    @Test func theReadmeShowsTheseBlocks() throws {
        let readme = try String(contentsOfFile: "README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "### Reusable blocks").dropFirst().first)
        let code = try #require(section.components(separatedBy: "```swift").dropFirst().first?.components(separatedBy: "```").first)
        let here = try String(contentsOfFile: "Tests/NetDSLTests/BlockTests.swift", encoding: .utf8)
        let lines = Set(here.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        var checked = 0
        for line in code.split(separator: "\n") {
            let bare = (line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line))
                .trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "func residual(", with: "private func readmeResidual(")
                .replacingOccurrences(of: "func branches(", with: "private func readmeBranches(")
            guard !bare.isEmpty else { continue }
            #expect(lines.contains(bare), "the README's line is not in the tested copy: \(bare)")
            checked += 1
        }
        #expect(checked > 20)
    }
}
