import Foundation

/// Another program run to its end by a test.
enum ChildProcess {
    /// Runs `executable` (a path, or a name looked up on PATH through `/usr/bin/env`) with
    /// `arguments`, in `directory` when given; its exit status and its standard output and
    /// standard error together.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Runs the shell command `script` with `arguments` as `$0`, `$1`, … (how a test passes bytes
    /// that are not UTF-8, or sets a `ulimit`, before the program starts).
    static func shell(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try run("/bin/sh", ["-c", script] + arguments)
    }
}
