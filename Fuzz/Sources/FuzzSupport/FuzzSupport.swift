import ConvNet
import Foundation

/// libFuzzer's callback: one input, 0 when done (a trap, a hang, a leak or an allocation over
/// `-malloc_limit_mb` is a finding; a thrown ``ConvNetError`` is the expected end of bad input).
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// The input as an array (libFuzzer may pass a null pointer for an empty input).
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A fuzzer's `main`: with `--write-seeds DIR`, writes the target's seed inputs into DIR (what
/// `make fuzz-corpus` commits under Fuzz/Corpus); otherwise hands the arguments to libFuzzer.
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                       seeds: () throws -> [(name: String, bytes: [UInt8])], _ callback: FuzzCallback) -> Int32 {
    let arguments = (0..<Int(argc)).map { String(cString: argv![$0]!) }
    if arguments.count == 3, arguments[1] == "--write-seeds" {
        do {
            try FileManager.default.createDirectory(atPath: arguments[2], withIntermediateDirectories: true)
            for (name, bytes) in try seeds() {
                try Data(bytes).write(to: URL(fileURLWithPath: arguments[2]).appendingPathComponent(name))
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("\(arguments[0]): \(error)\n".utf8))
            return 1
        }
    }
    var (count, vector) = (argc, argv)
    return runFuzzerDriver(&count, &vector, callback)
}

/// libFuzzer's driver (its own `main` is not used: SwiftPM calls an executable's `<module>_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: FuzzCallback) -> Int32

/// `bytes` compressed by the system's `gzip -n` (seeds only; the library has no compressor).
public func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-n", "-9", "-c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let writer = Thread { input.fileHandleForWriting.write(Data(bytes)); try? input.fileHandleForWriting.close() }
    writer.start()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ConvNetError(op: "seeds", "gzip failed") }
    return Array(result)
}

/// An IDX file of unsigned bytes with the given shape.
public func idx(_ shape: [Int], _ values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
    for d in shape { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return bytes + values
}

/// The repository's root (the fuzz package's parent folder), for seeds made from its files.
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
