import Testing
@testable import NetDSL

/// Every layer kind and setting through the writer and back through the compiler.
@Suite struct WrittenZooTests {
    static func source() throws -> String {
        try RecipeSource(typeName: "WrittenZoo", summary: "Every layer kind and setting RecipeSource writes",
                         header: ["Written by RecipeSource from Zoo.spec (Tests/ImportedRecipesTests/Zoo.swift)."],
                         net: Zoo.spec, solver: Zoo.plan).text()
    }

    @Test func theCheckedInFileIsWhatTheWriterWritesToday() throws {
        try CheckedIn.expectFile("Written/WrittenZoo.swift", toBe: Self.source(),
                                 "Write it again with: CREMA_REWRITE_RECIPES=1 swift test --filter ImportedRecipesTests")
    }

    @Test func itCompilesBackToTheSameNetAndPlan() throws {
        let written = WrittenZoo()
        #expect(written.net.spec == RecipeSource.chained(Zoo.spec))
        for phase in Phase.allCases {
            #expect(try written.net.spec.resolved(for: phase) == Zoo.spec.resolved(for: phase))
        }
        #expect(written.solver == Zoo.plan)
        #expect(WrittenZoo.summary == "Every layer kind and setting RecipeSource writes")
    }

    @Test func theWrittenFileUsesTheDSLNotPlainSpecs() throws {
        let text = try Self.source()
        // Only the Split layer, which recipes never write, is a plain spec.
        #expect(text.components(separatedBy: "LayerSpec(").count == 2)
        for modifier in [".globalPooling()", ".axis(2)", ".sharing(\"a\", \"b\")", ".lrMult(3, bias: 4, biasDecay: 0.5)",
                         ".params(ParamSpec(name: \"w\", lrMult: 0, decayMult: 0))", ".lossWeight(0.5)",
                         ".outputs(\"x\", \"label\", \"z\")", ".mean(values: 104, 117.5, 1e-7)", "Pooling.global(\"gp\", .average)"] {
            #expect(text.contains(modifier), "no \(modifier)")
        }
    }
}
