import Testing
@testable import Runtime

@Suite struct PrototxtScannerTests {
    private func flat(_ nodes: [PrototxtNode]) -> [String] {
        nodes.flatMap { node -> [String] in
            switch node.value {
            case .scalar(let raw): ["\(node.line) \(node.name)=\(raw)"]
            case .message(let children): ["\(node.line) \(node.name){"] + flat(children) + ["}"]
            }
        }
    }

    @Test func fieldsLinesAndForms() throws {
        let text = """
        name: "x" # a comment
        layer {
          include: { phase: TRAIN },
          blob < dim: [1, 2] >; ratio: -0.5e-3
          note: 'a' "b"
        }
        """
        let nodes = try PrototxtScanner.scan(text)
        #expect(flat(nodes) == [
            "1 name=\"x\"", "2 layer{", "3 include{", "3 phase=TRAIN", "}",
            "4 blob{", "4 dim=1", "4 dim=2", "}", "4 ratio=-0.5e-3", "5 note='a' \"b\"", "}",
        ])
        // Ids are unique.
        func ids(_ ns: [PrototxtNode]) -> [Int] { ns.flatMap { [$0.id] + ids($0.children) } }
        #expect(Set(ids(nodes)).count == ids(nodes).count)
    }

    @Test func syntaxErrorsHaveLines() {
        for (text, line, says) in [
            ("a: 1\nb {\n c: 2\n", 4, "the file ends before '}' closes 'b' (opened on line 2)"),
            ("a: 1\nb 2", 2, "expected ':' after 'b'"),
            ("a: \"open\nb: 1", 1, "a string is not closed"),
            ("a: 1\n}\n", 2, "expected a field name, found '}'"),
            ("a: [1 2]", 1, "expected ',' or ']'"),
            ("\n\n[ext.field]: 1", 3, "extension fields"),
        ] as [(String, Int, String)] {
            do {
                _ = try PrototxtScanner.scan(text)
                Issue.record("expected a syntax error for \(text)")
            } catch let error as PrototxtSyntaxError {
                #expect(error.line == line, "\(text)")
                #expect(error.message.contains(says), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
