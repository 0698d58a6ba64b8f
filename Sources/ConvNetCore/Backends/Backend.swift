import Foundation

/// Which CPU implementation runs convolution, pooling and batch norm.
///
/// Both compute the same function and are tested against the PyTorch cases and each other.
public enum ComputeBackend: String, Sendable, CaseIterable {
    /// Readable im2col/col2im + BLAS GEMM and plain loops, line by line as in the lecture.
    case reference
    /// oneDNN primitives (what PyTorch uses on CPU), cached per shape. The default.
    case oneDNN = "onednn"
}

/// Process-wide settings of the compute backends.
public enum Backend {
    nonisolated(unsafe) static var processDefault: ComputeBackend = .oneDNN
    @TaskLocal static var scoped: ComputeBackend?
    nonisolated(unsafe) static var threadCount: Int = 0

    /// The backend that operations use now: the one chosen by an enclosing ``with(_:_:)``,
    /// else the process-wide default (``ComputeBackend/oneDNN`` unless set).
    public static var current: ComputeBackend {
        get { scoped ?? processDefault }
        set { processDefault = newValue }
    }

    /// Runs `body` with `backend` selected for the current task, then restores the previous one.
    public static func with<R>(_ backend: ComputeBackend, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(backend, operation: body)
    }

    /// Number of threads that BLAS and oneDNN each use (they run one after the other, never
    /// at the same time, so both may use every core without fighting).
    public static var threads: Int {
        threadCount > 0 ? threadCount : ProcessInfo.processInfo.activeProcessorCount
    }

    /// Sets the thread count of OpenBLAS and of oneDNN's OpenMP runtime (`--threads`).
    public static func setThreads(_ n: Int) throws {
        try require(n >= 1, "threads", "thread count \(n) must be at least 1")
        threadCount = n
        BLAS.setThreads(n)
        OpenMP.setThreads(n)
    }
}

/// oneDNN's CPU runtime here is OpenMP; its thread count is set through `omp_set_num_threads`,
/// looked up at run time in the OpenMP library that libdnnl already loaded.
///
/// ``parallel(_:)`` runs our own kernels on the same threads: a second pool beside OpenMP's would
/// compete with its workers, which keep spinning for a while after each oneDNN primitive.
enum OpenMP {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias ThreadQuery = @convention(c) () -> Int32
    /// libgomp's entry for `#pragma omp parallel`: runs `fn(data)` on every thread of a team.
    private typealias GOMPParallel = @convention(c) (@convention(c) (UnsafeMutableRawPointer?) -> Void,
                                                     UnsafeMutableRawPointer?, UInt32, UInt32) -> Void

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let found = dlsym(handle, name) else { return nil }
        return unsafeBitCast(found, to: type)
    }

    private static let setNumThreads = symbol("omp_set_num_threads", as: SetThreads.self)
    private static let team: (parallel: GOMPParallel, threadNumber: ThreadQuery, threadCount: ThreadQuery)? = {
        guard let parallel = symbol("GOMP_parallel", as: GOMPParallel.self),
              let number = symbol("omp_get_thread_num", as: ThreadQuery.self),
              let count = symbol("omp_get_num_threads", as: ThreadQuery.self) else { return nil }
        return (parallel, number, count)
    }()

    static func setThreads(_ n: Int) {
        setNumThreads?(Int32(n))
    }

    /// What a team thread needs: the work and the runtime's queries.
    private final class Job: @unchecked Sendable {
        let body: (Int, Int) -> Void
        let threadNumber: ThreadQuery, threadCount: ThreadQuery
        init(_ body: @escaping (Int, Int) -> Void, _ threadNumber: ThreadQuery, _ threadCount: ThreadQuery) {
            (self.body, self.threadNumber, self.threadCount) = (body, threadNumber, threadCount)
        }
    }

    /// Runs `body(thread, threads)` on each of `threads` threads of an OpenMP team and returns when
    /// all are done; without libgomp (or for one thread) runs `body(0, 1)` here.
    static func parallel(threads: Int = Backend.threads, _ body: (Int, Int) -> Void) {
        guard threads > 1, let team else { return body(0, 1) }
        withoutActuallyEscaping(body) { body in
            let job = Unmanaged.passRetained(Job(body, team.threadNumber, team.threadCount))
            defer { job.release() }
            team.parallel({ raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue()
                job.body(Int(job.threadNumber()), Int(job.threadCount()))
            }, job.toOpaque(), UInt32(threads), 0)
        }
    }
}
