import ConvNet
/// Values from an ONNX file quoted in error messages, bounded: a file can hold a name of megabytes,
/// a name with a line break, or an attribute of a million values, and an error is one short line.
///
///     "has pads \(list: pads)"        // has pads [1, 2, 3, 4, 5, 6, … (1000000 values)]
///     "reads \(quoted: name)"         // reads "conv1.weight", or "aaaa…" (70000 characters)
enum ONNXErrorText {
    /// Values quoted before the rest of a list is elided.
    static let listLimit = 6
    /// Characters of a name quoted before the rest is elided.
    static let nameLimit = 80
    /// The longest message an ONNX error carries (a backstop: every value is quoted bounded).
    static let messageLimit = 2000

    /// `[a, b, c]`, or its first ``listLimit`` values and `… (N values)`.
    static func list<C: Collection>(_ values: C) -> String where C.Element: CustomStringConvertible {
        let shown = values.prefix(listLimit).map(\.description)
        guard values.count > listLimit else { return "[" + shown.joined(separator: ", ") + "]" }
        return "[" + shown.joined(separator: ", ") + ", … (\(values.count) values)]"
    }

    /// `"name"` with control characters escaped (one line whatever the file holds), its first
    /// ``nameLimit`` characters and `… (N characters)` when longer; `marks`: in quotation marks.
    static func quoted(_ text: String, marks: Bool = true) -> String {
        // Most names are short printable ASCII, quoted as they are (every node's label is made at load).
        if text.utf8.count <= nameLimit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) {
            return marks ? "\"" + text + "\"" : text
        }
        var out = marks ? "\"" : ""
        var count = 0
        for character in text {
            count += 1
            guard count <= nameLimit else { continue }
            if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\"" || $0 == "\\" }) {
                out += character.unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
            } else {
                out.append(character)
            }
        }
        let close = marks ? "\"" : ""
        return count > nameLimit ? out + "…\(close) (\(count) characters)" : out + close
    }

    /// `message` on one line and at most ``messageLimit`` characters (the end cut and counted).
    static func bounded(_ message: String) -> String {
        let oneLine = message.contains(where: \.isNewline)
            ? String(message.map { $0.isNewline ? " " : $0 }) : message
        guard oneLine.count > messageLimit else { return oneLine }
        return String(oneLine.prefix(messageLimit)) + " … (\(oneLine.count) characters in all)"
    }
}

extension DefaultStringInterpolation {
    /// A list from an ONNX file, elided past a few values (``ONNXErrorText/list(_:)``).
    mutating func appendInterpolation<C: Collection>(list values: C) where C.Element: CustomStringConvertible {
        appendLiteral(ONNXErrorText.list(values))
    }

    /// A name or string from an ONNX file, quoted, escaped and cut (``ONNXErrorText/quoted(_:)``).
    mutating func appendInterpolation(quoted text: String) {
        appendLiteral(ONNXErrorText.quoted(text))
    }

    /// A name from an ONNX file escaped and cut as by `quoted:`, without quotation marks (an op type, an attribute).
    mutating func appendInterpolation(bare text: String) {
        appendLiteral(ONNXErrorText.quoted(text, marks: false))
    }
}

extension ConvNetError {
    /// This error with its message on one line and bounded (``ONNXErrorText/bounded(_:)``).
    var boundedForONNX: ConvNetError { ConvNetError(kind, op: op, ONNXErrorText.bounded(message)) }
}
