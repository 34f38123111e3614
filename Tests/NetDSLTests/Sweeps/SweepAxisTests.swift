import Foundation
import Testing
@testable import NetDSL

@Suite struct SweepAxisTests {
    @Test func commasListAlternatives() throws {
        let axis = try SweepAxis.parse("solver.base_lr=0.01, 0.001,1e-4")
        #expect(axis == SweepAxis(key: "solver.base_lr", domain: .values(["0.01", "0.001", "1e-4"])))
        #expect(axis.varies)
        #expect(try SweepAxis.parse("solver.momentum=0.9").varies == false)
        #expect(try SweepAxis.parse("solver.type=sgd,adam").domain == .values(["sgd", "adam"]))
    }

    @Test func aListSettingIsOneValueUnlessBracketed() throws {
        #expect(try SweepAxis.parse("solver.stepvalue=100,200").domain == .values(["100,200"]))
        #expect(try SweepAxis.parse("solver.stepvalue=[100,200], [300]").domain == .values(["100,200", "300"]))
        #expect(try SweepAxis.parse("data.train.mean_value=[104,117,123]").domain == .values(["104,117,123"]))
        #expect(throws: SweepError.self) { try SweepAxis.parse("solver.stepvalue=[100,200],300") }
    }

    @Test func rangesOfNumbersAndIntegers() throws {
        #expect(try SweepAxis.parse("solver.base_lr=log:1e-4..1e-1").domain == .range(low: 1e-4, high: 0.1, log: true, integer: false))
        #expect(try SweepAxis.parse("solver.momentum=0.8..0.99").domain == .range(low: 0.8, high: 0.99, log: false, integer: false))
        #expect(try SweepAxis.parse("data.train.batch_size=16..128").domain == .range(low: 16, high: 128, log: false, integer: true))
    }

    @Test func pathsWithDotsAreNotRanges() throws {
        #expect(try SweepAxis.parse("data.train.source=../data/train_lmdb").domain == .values(["../data/train_lmdb"]))
    }

    @Test(arguments: [
        ("solver.learning_rate=0.1,0.2", "unknown setting 'solver.learning_rate'"),
        ("solver.base_lr", "not of the form key=value"),
        ("solver.base_lr=0.1..0.01", "the range is empty"),
        ("solver.base_lr=0.1..0.1", "the range is empty"),
        ("solver.base_lr=log:0..1", "a log: range needs ends above 0"),
        ("solver.base_lr=log:0.1", "a log: range is written"),
        ("solver.base_lr=a..b", "a range is written low..high"),
        ("solver.max_iter=1.5..10", "must be whole numbers"),
        ("solver.max_iter=1..1e30", "must be whole numbers"),
        ("solver.base_lr=0.1,,0.2", "an empty value between commas"),
        ("solver.base_lr=0.1,0.1", "a value is listed twice"),
    ])
    func badAxesSayWhatToWrite(assignment: String, message: String) {
        #expect {
            try SweepAxis.parse(assignment)
        } throws: { error in
            (error as? SweepError)?.message.contains(message) == true
        }
    }

    @Test func domainsReadBackFromJSON() throws {
        for domain: SweepAxis.Domain in [.values(["0.1", "0.2"]), .range(low: 1e-4, high: 0.1, log: true, integer: false)] {
            let data = try JSONEncoder().encode(domain)
            #expect(try JSONDecoder().decode(SweepAxis.Domain.self, from: data) == domain)
        }
        let text = String(decoding: try JSONEncoder().encode(SweepAxis.Domain.values(["1"])), as: UTF8.self)
        #expect(text == #"{"values":["1"]}"#)
    }
}
