import ConvNet
import Foundation
import Testing

/// Class-name files name class i on line i + 1: a line that names nothing would shift every later
/// name, so it is an error naming the line (`predict --labels`, CIFAR's name files).
@Suite("class-name files: one name per line, or an error naming the line")
struct ClassNameFileTests {
    static func parse(_ text: [UInt8]) -> Result<[String], ConvNetError> {
        Result { try ClassNameFile.parse(text, source: "names.txt") }.mapError { $0 as! ConvNetError }
    }
    static func parse(_ text: String) -> Result<[String], ConvNetError> { parse(Array(text.utf8)) }

    static func error(_ result: Result<[String], ConvNetError>) -> String {
        if case .failure(let error) = result { return error.description }
        return "no error"
    }

    @Test("line ends, a final newline, trailing blank lines, a byte-order mark and spaces around names are accepted")
    func accepted() throws {
        let names = ["cat", "dog", "sea lion"]
        for text in ["cat\ndog\nsea lion", "cat\ndog\nsea lion\n", "cat\r\ndog\r\nsea lion\r\n", "cat\rdog\rsea lion\r",
                     "\u{FEFF}cat\ndog\nsea lion\n", "  cat\t\ndog \n sea lion\n", "cat\ndog\nsea lion\n\n  \n"] {
            #expect(try Self.parse(text).get() == names, "\(text.debugDescription)")
        }
    }

    @Test("a blank or whitespace-only line before a name is an error naming the line")
    func blankLines() {
        #expect(Self.error(Self.parse("cat\n\ndog\n")).hasPrefix("labels: names.txt: line 2 is blank"))
        #expect(Self.error(Self.parse("\ncat\ndog\n")).hasPrefix("labels: names.txt: line 1 is blank"))
        #expect(Self.error(Self.parse("cat\r\n \t \r\ndog\r\n")).hasPrefix("labels: names.txt: line 2 is blank"))
        #expect(Self.error(Self.parse("a\nb\nc\n\n\nd")).hasPrefix("labels: names.txt: line 4 is blank"))
        #expect(Self.error(Self.parse("\n\n")) == "labels: names.txt: holds no class names (expected one per line)")
    }

    @Test("a name given twice is an error naming both lines; a line that is not UTF-8, naming it")
    func duplicatesAndEncoding() {
        #expect(Self.error(Self.parse("cat\ndog\ncat\n")) == "labels: names.txt: lines 1 and 3 both name \"cat\"; each class needs its own name")
        #expect(Self.error(Self.parse(Array("cat\ndog\n".utf8) + [0x62, 0xFF, 0x0A])) == "labels: names.txt: line 3 is not UTF-8 text (expected one class name per line)")
    }

    @Test("predict --labels and CIFAR's batches.meta.txt apply the same rules")
    func surfaces() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let labels = w.root + "/blank.txt"
        try Data(((0..<5).map { "digit \($0)" } + [""] + (5..<10).map { "digit \($0)" }).joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: labels))
        let outcome = try BadInputMatrixTests.convnet(["predict", "--model", "lenet5", "--weights", w.checkpoint, "--labels", labels, w.image])
        #expect(BadInputMatrixTests.judge("predict --labels", outcome, mustName: ["\(labels): line 6 is blank"]) == nil, "\(outcome.output)")

        let cifar = w.root + "/cifar"
        try FileManager.default.createDirectory(atPath: cifar, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cifar + "/data_batch_1-first4000.bin.gz",
                                                   withDestinationPath: Fixtures.cifarSample + "/data_batch_1-first4000.bin.gz")
        let meta = cifar + "/batches.meta.txt"
        try Data((["airplane", "", "automobile"] + CIFAR.cifar10Names.dropFirst(2)).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: meta))
        #expect(throws: ConvNetError.self) { try CIFAR.load(directory: cifar, variant: .cifar10, split: .train) }
        do {
            _ = try CIFAR.load(directory: cifar, variant: .cifar10, split: .train)
        } catch let error as ConvNetError {
            #expect(error.description == "cifar10: \(meta): line 2 is blank; every line names the class of its position, so a blank line would shift the names after it (remove it)")
        }
        // The real file's trailing blank line is fine.
        try Data((CIFAR.cifar10Names.joined(separator: "\n") + "\n\n").utf8).write(to: URL(fileURLWithPath: meta))
        #expect(try CIFAR.load(directory: cifar, variant: .cifar10, split: .train)?.classNames == CIFAR.cifar10Names)
    }
}
