import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    /// The sweep's settings in TensorBoard's HParams dashboard, checked with TensorBoard itself.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct HParamsSummaryTests {
        static let venv = URL(fileURLWithPath: "/tmp/crema-tensorboard-venv")

        @Test func numbersStayNumbersAndWordsStayWords() {
            #expect(HParamsSummary.Value.typed(key: "solver.base_lr", value: "0.01") == .number(0.01))
            #expect(HParamsSummary.Value.typed(key: "data.train.batch_size", value: "64") == .number(64))
            #expect(HParamsSummary.Value.typed(key: "solver.type", value: "Adam") == .text("Adam"))
            #expect(HParamsSummary.Value.typed(key: "data.train.mirror", value: "true") == .flag(true))
            #expect(HParamsSummary.Value.typed(key: "seed", value: "3") == .number(3))
        }

        @Test func theDashboardReadsTheSweepsRunsAndOurBytesAreTensorBoards() throws {
            guard let python = try TestData.pythonVenv(Self.venv, imports: "tensorboard", packages: ["tensorboard"], check: "TensorBoard HParams") else { return }
            // The plugin content as TensorBoard's own protobuf classes write it.
            let start = HParamsSummary.sessionStart([("solver.base_lr", .number(0.02)), ("solver.type", .text("Adam")), ("data.train.mirror", .flag(true))],
                                                    group: "solver.base_lr=0.02", startTime: 5)
            let end = HParamsSummary.sessionEnd(.success, endTime: 7)
            let reference = """
                from tensorboard.plugins.hparams import plugin_data_pb2 as p
                from tensorboard.compat.proto import summary_pb2 as s
                from google.protobuf import struct_pb2 as st
                start = p.HParamsPluginData(session_start_info=p.SessionStartInfo(
                    hparams={"solver.base_lr": st.Value(number_value=0.02), "solver.type": st.Value(string_value="Adam"),
                             "data.train.mirror": st.Value(bool_value=True)},
                    group_name="solver.base_lr=0.02", start_time_secs=5))
                end = p.HParamsPluginData(session_end_info=p.SessionEndInfo(status=1, end_time_secs=7))
                for data in (start, end):
                    meta = s.SummaryMetadata(plugin_data=s.SummaryMetadata.PluginData(plugin_name="hparams", content=data.SerializeToString()))
                    print(meta.SerializeToString().hex())
                """
            let (status, output) = try TestData.capture(python, ["-c", reference])
            try #require(status == 0, "\(output)")
            let lines = output.split(separator: "\n").map(String.init).filter { !$0.contains("arn") }
            // Python writes map entries in its own order: compare the decoded entries, and the rest byte for byte.
            let hex = { (bytes: [UInt8]?) in (bytes ?? []).map { String(format: "%02x", $0) }.joined() }
            #expect(lines.last == hex(end.metadata), "session_end_info")
            #expect(lines.first?.count == hex(start.metadata).count, "session_start_info's length")

            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (ran, ranOutput) = try TestData.capture(binary, ["lenet", "--results", results.path, "--iterations", "40", "--quiet",
                                                                 "--set", "solver.base_lr=0.02,0.002", "--set", "solver.test_interval=20",
                                                                 "--set", "solver.test_iter=5", "--set", "solver.type=SGD,Nesterov"])
            try #require(ran == 0, "\(ranOutput)")
            let script = """
                import sys
                from tensorboard.backend.event_processing import plugin_event_multiplexer as pem, data_provider
                from tensorboard.plugins import base_plugin
                from tensorboard.plugins.hparams import hparams_plugin
                from tensorboard import context as tb_context
                logdir = sys.argv[1]
                mux = pem.EventMultiplexer(); mux.AddRunsFromDirectory(logdir); mux.Reload()
                tb = base_plugin.TBContext(logdir=logdir, multiplexer=mux, data_provider=data_provider.MultiplexerDataProvider(mux, logdir))
                c = hparams_plugin.HParamsPlugin(tb)._context
                rc = tb_context.RequestContext()
                exp = c.experiment_from_metadata(rc, "", True, c.hparams_metadata(rc, ""), c.hparams_from_data_provider(rc, "", None))
                for h in sorted(exp.hparam_infos, key=lambda h: h.name):
                    if h.WhichOneof("domain") == "domain_interval":
                        print("hparam", h.name, h.type, "from", h.domain_interval.min_value, "to", h.domain_interval.max_value)
                    else:
                        print("hparam", h.name, h.type, sorted(v.WhichOneof("kind") + ":" + str(getattr(v, v.WhichOneof("kind"))) for v in h.domain_discrete.values))
                print("metrics", " ".join(sorted(m.name.tag for m in exp.metric_infos)))
                """
            let (read, readOutput) = try TestData.capture(python, ["-c", script, results.appendingPathComponent("lenet").path])
            #expect(read == 0, "\(readOutput)")
            let got = readOutput.split(separator: "\n").map(String.init).filter { $0.hasPrefix("hparam") || $0.hasPrefix("metrics") }
            #expect(got == [
                "hparam solver.base_lr 3 from 0.002 to 0.02",
                "hparam solver.type 1 ['string_value:Nesterov', 'string_value:SGD']",
                "metrics test/accuracy test/loss train/loss train/lr",
            ], "\(readOutput)")
        }
    }
}
