import Foundation

/// A file of class names, one per line, line *i* naming class *i − 1* (`predict --labels`, CIFAR's
/// `batches.meta.txt`, `fine_label_names.txt` and `coarse_label_names.txt`).
///
/// Because a name's line is its label, a line that names nothing would shift every later class:
/// - a blank line (empty, or only spaces and tabs) before the last name is an error naming the
///   line; blank lines after the last name are ignored (CIFAR-10's own file ends with one);
/// - lines end with `\n`, `\r\n` or `\r` (text written on any system; the final one is optional);
///   a UTF-8 byte-order mark at the start is ignored; each name is trimmed of spaces and tabs;
/// - a line that is not UTF-8 is an error naming the line, and so is a name given twice (naming
///   both lines): two classes with one name could not be told apart.
public enum ClassNameFile {
    /// The names in the file at `path`.
    /// - Throws: ``ConvNetError`` for `op` naming the file (and the line) when it is not a
    ///   readable regular file, or breaks a rule above, or names no class.
    public static func read(path: String, op: String = "labels") throws -> [String] {
        try parse(RegularFile.bytes(path, op: op, limit: 1 << 26), source: path, op: op)
    }

    /// The names in a class-name file's bytes; `source` names it in errors.
    /// - Throws: ``ConvNetError`` as ``read(path:op:)``.
    public static func parse(_ bytes: [UInt8], source: String, op: String = "labels") throws -> [String] {
        var names: [String] = [], blank: Int? = nil
        var firstLine: [String: Int] = [:]
        for (index, line) in lines(bytes).enumerated() {
            let number = index + 1
            guard let text = String(validating: line, as: UTF8.self) else {
                throw ConvNetError(op: op, "\(source): line \(number) is not UTF-8 text (expected one class name per line)")
            }
            let name = text.trimmingCharacters(in: .whitespaces)
            if name.isEmpty {
                blank = blank ?? number
                continue
            }
            if let blank {
                throw ConvNetError(op: op, "\(source): line \(blank) is blank; every line names the class of its position, so a blank line would shift the names after it (remove it)")
            }
            if let earlier = firstLine[name] {
                throw ConvNetError(op: op, "\(source): lines \(earlier) and \(number) both name \"\(name)\"; each class needs its own name")
            }
            firstLine[name] = number
            names.append(name)
        }
        guard !names.isEmpty else { throw ConvNetError(op: op, "\(source): holds no class names (expected one per line)") }
        return names
    }

    /// The file's lines without their ends (`\n`, `\r\n` or `\r`) and without a leading byte-order mark.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lines: [ArraySlice<UInt8>] = [], lineStart = start, i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\n"):
                lines.append(bytes[lineStart..<i])
                lineStart = i + 1
            case UInt8(ascii: "\r"):
                lines.append(bytes[lineStart..<i])
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                lineStart = i + 1
            default: break
            }
            i += 1
        }
        if lineStart < bytes.count { lines.append(bytes[lineStart...]) }
        return lines
    }
}
