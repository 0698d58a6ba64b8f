import Foundation

/// oneDNN's CPU runtime here is OpenMP; its thread count is set through `omp_set_num_threads`,
/// looked up at run time in the OpenMP library that libdnnl already loaded.
///
/// ``parallel(threads:_:)`` runs our own kernels on the same threads: a second pool beside OpenMP's would
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
