import Foundation

/// Writes `line` and a newline to standard error (warnings and `--verbose` notes, kept out of the
/// JSON and tables on standard output).
func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
