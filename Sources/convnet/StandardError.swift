import Foundation

/// Writes `line` and a newline to standard error (warnings and `--verbose` notes, kept out of the
/// JSON and tables on standard output). A standard error that cannot be written (a closed
/// terminal after SIGHUP, a reader gone) loses the line; it never stops the program.
func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var written = 0
    while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        written += n
    }
}
