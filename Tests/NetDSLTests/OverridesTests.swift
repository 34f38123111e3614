import Testing
@testable import NetDSL
@testable import Recipes

@Suite struct OverridesTests {
    @Test func solverKeysUseCaffeNames() throws {
        var net = CaffeNet().net.spec
        var plan = CaffeNet().solver
        try Overrides.apply("solver.base_lr=0.001", net: &net, solver: &plan)
        try Overrides.apply("solver.max_iter=500", net: &net, solver: &plan)
        try Overrides.apply("solver.lr_policy=multistep", net: &net, solver: &plan)
        try Overrides.apply("solver.stepvalue=100,200", net: &net, solver: &plan)
        try Overrides.apply("solver.type=adam", net: &net, solver: &plan)
        try Overrides.apply("solver.test_initialization=false", net: &net, solver: &plan)
        #expect(plan.baseLR == 0.001)
        #expect(plan.iterations == 500)
        #expect(plan.policy == .multistep(gamma: 0.1, steps: [100, 200]))
        #expect(plan.type == .adam)
        #expect(plan.testAtStart == false)
    }

    @Test func dataKeysPickThePhase() throws {
        var net = CaffeNet().net.spec
        var plan = CaffeNet().solver
        try Overrides.apply("data.train.source=/mnt/imagenet/train_lmdb", net: &net, solver: &plan)
        try Overrides.apply("data.test.batch_size=10", net: &net, solver: &plan)
        guard let t = net.dataLayerIndex(in: .train), case .data(let train) = net.layers[t].kind,
              let v = net.dataLayerIndex(in: .test), case .data(let test) = net.layers[v].kind else {
            Issue.record("CaffeNet has no data layers")
            return
        }
        #expect(train.source == "/mnt/imagenet/train_lmdb")
        #expect(train.batchSize == 256)
        #expect(test.batchSize == 10)
        #expect(test.source == CaffeNet.valLMDB)
    }

    @Test func unknownKeysAndBadValuesSayWhatExists() {
        var net = LeNet().net.spec
        var plan = LeNet().solver
        do {
            try Overrides.apply("solver.base_rate=1", net: &net, solver: &plan)
            Issue.record("expected an error")
        } catch let error as OverrideError {
            #expect(error.message.contains("solver.base_lr"))
            #expect(error.message.contains("data.train.source"))
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: OverrideError.self) { try Overrides.apply("solver.max_iter=ten", net: &net, solver: &plan) }
        #expect(throws: OverrideError.self) { try Overrides.apply("solver.momentum", net: &net, solver: &plan) }
        #expect(throws: OverrideError.self) { try Overrides.apply("solver.type=Momentum", net: &net, solver: &plan) }
        #expect(plan == LeNet().solver)
    }
}

@Suite struct OverrideKindTests {
    @Test func everyKeyHasAKind() {
        for key in Overrides.knownKeys { #expect(Overrides.kind(of: key) != nil, "\(key)") }
        #expect(Overrides.kind(of: "solver.base_lr") == .number)
        #expect(Overrides.kind(of: "solver.max_iter") == .integer)
        #expect(Overrides.kind(of: "solver.stepvalue") == .list)
        #expect(Overrides.kind(of: "data.test.mirror") == .flag)
        #expect(Overrides.kind(of: "data.train.source") == .text)
        #expect(Overrides.kind(of: "solver.nothing") == nil)
        #expect(Overrides.kind(of: "data.validation.source") == nil)
        guard case .choice(let words) = Overrides.kind(of: "solver.type") else {
            Issue.record("solver.type is not a choice")
            return
        }
        #expect(words.contains("SGD") || words.contains("sgd"))
    }

    @Test func aListMayBeBracketed() throws {
        var net = CaffeNet().net.spec
        var plan = CaffeNet().solver
        try Overrides.apply("solver.stepvalue=[100, 200]", net: &net, solver: &plan)
        #expect(plan.stepvalue == [100, 200])
    }
}
