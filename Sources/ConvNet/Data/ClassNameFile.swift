import Foundation

/// A file of class names, one per line (`predict --labels`).
public enum ClassNameFile {
    /// The non-empty lines of the file at `path`, trimmed.
    /// - Throws: ``ConvNetError`` naming the file when it is not a readable regular file of UTF-8 text.
    public static func read(path: String) throws -> [String] {
        let bytes = try RegularFile.bytes(path, op: "labels", limit: 1 << 26)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ConvNetError(op: "labels", "\(path): not UTF-8 text (expected one class name per line)")
        }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ConvNetError(op: "labels", "\(path): holds no class names (expected one per line)") }
        return names
    }
}
