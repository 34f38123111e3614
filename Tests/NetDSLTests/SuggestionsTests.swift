import Testing
@testable import NetDSL

@Suite struct SuggestionsTests {
    @Test func closeNamesComeFirstAndFarOnesNotAtAll() {
        let keys = Overrides.knownKeys
        #expect(Suggestions.closest(to: "solver.base_rl", among: keys).first == "solver.base_lr")
        #expect(Suggestions.closest(to: "solver.max_iters", among: keys).first == "solver.max_iter")
        #expect(Suggestions.closest(to: "data.train.batchsize", among: keys).first == "data.train.batch_size")
        #expect(Suggestions.closest(to: "completely.different", among: keys).isEmpty)
        #expect(Suggestions.closest(to: "lenet", among: ["lenet", "caffenet"]).isEmpty, "an exact name needs no hint")
        #expect(Suggestions.closest(to: "LeNte", among: ["lenet", "caffenet"]) == ["lenet"], "case and one swap")
        #expect(Suggestions.closest(to: "googlenet", among: ["googlenet_quick", "resnet50"]) == ["googlenet_quick"])
    }

    @Test func editDistanceCountsASwapAsOneEdit() {
        #expect(Suggestions.editDistance("train", "trian") == 1)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.editDistance("", "abc") == 3)
    }

    @Test func anUnknownSetKeySaysWhichItMeant() throws {
        var net = NetSpec(name: "n", layers: [])
        var solver = SolverPlan(baseLR: 0.01, iterations: 10)
        do {
            try Overrides.apply("solver.base_rl=0.1", net: &net, solver: &solver)
            Issue.record("accepted an unknown key")
        } catch let error as OverrideError {
            #expect(error.message.hasPrefix("unknown setting 'solver.base_rl'. Did you mean 'solver.base_lr'?"), "\(error)")
        }
    }
}
