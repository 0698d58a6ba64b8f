import ConvNet
import Foundation

/// Names the running program for the ranks of an MPI job to compare: its path and a hash of its bytes.
enum ProgramFingerprint {
    static func current() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let bytes = FileManager.default.contents(atPath: path) else { return "unreadable executable" }
        return "convnet " + String(bytes.withUnsafeBytes { ReplicaConsistency.fingerprint(of: $0) }, radix: 16)
    }
}
