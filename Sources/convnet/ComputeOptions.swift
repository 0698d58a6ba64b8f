import ArgumentParser
import ConvNet

/// `--threads` and `--backend`: the options of every command that runs tensor operations
/// (train, eval, predict, report, summary, the bench timings), declared once here.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).")
    var threads: Int?

    @Option(help: "Compute backend: onednn (fast, default) or reference (im2col + BLAS).")
    var backend: ComputeBackend = .oneDNN

    /// Sets the thread count (Backend.setThreads checks its bounds) and the process's backend;
    /// call first in `run()`.
    func apply() throws {
        try Backend.setThreads(threads ?? Backend.threads)
        Backend.current = backend
    }
}
