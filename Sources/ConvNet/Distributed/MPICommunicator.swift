#if CONVNET_MPI
import CMPI
#endif
import Foundation

/// All the processes `mpirun` started (`MPI_COMM_WORLD`), over Open MPI.
///
/// MPI is set up by ``world()`` once per process (threads: funneled, every call from the thread
/// that set it up) with errors returned rather than fatal, so a failed call becomes a
/// ``ConvNetError``. A process ends the job with ``finalize()`` after its last collective call,
/// or with ``abort(code:)`` when it fails, so that no rank waits for it.
public final class MPICommunicator: Communicator {
    /// Whether this build has MPI (Open MPI's headers and library were found when it was built).
    public static var isAvailable: Bool {
        #if CONVNET_MPI
        return true
        #else
        return false
        #endif
    }

    /// Whether this process was started by `mpirun`/`mpiexec` as one of several ranks (read from
    /// the environment Open MPI, MPICH and PMIx set), without touching MPI.
    public static var launchedAsSeveralRanks: Bool {
        let environment = ProcessInfo.processInfo.environment
        let size = environment["OMPI_COMM_WORLD_SIZE"] ?? environment["PMI_SIZE"] ?? environment["PMIX_SIZE"]
        return (size.flatMap(Int.init) ?? 1) > 1
    }

    /// Processes of this job on this machine (for sharing its cores), from the launcher's environment; 1 if unknown.
    public static var localRanks: Int {
        let environment = ProcessInfo.processInfo.environment
        return max(1, (environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? environment["MPI_LOCALNRANKS"]).flatMap(Int.init) ?? 1)
    }

    public let rank: Int
    public let size: Int
    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: MPICommunicator?
    nonisolated(unsafe) private static var finalized = false

    private init(rank: Int, size: Int) {
        (self.rank, self.size) = (rank, size)
    }

    /// The world communicator, setting MPI up on the first call.
    /// - Throws: ``ConvNetError`` if this build has no MPI, or MPI cannot start (or was finalized).
    public static func world() throws -> MPICommunicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        #if CONVNET_MPI
        guard !finalized else { throw ConvNetError(op: "mpi", "MPI was already finalized in this process") }
        var provided: Int32 = 0
        var argc: Int32 = 0
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let status = MPI_Init_thread(&argc, &argv, cmpi_thread_funneled(), &provided)
        guard status == cmpi_success() else { throw ConvNetError(op: "mpi", "MPI_Init_thread failed (error \(status))") }
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
        let world = MPICommunicator(rank: Int(rank), size: Int(size))
        shared = world
        return world
        #else
        throw ConvNetError(.unsupported, op: "mpi", "this convnet was built without MPI: install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev), then `touch Package.swift` and rebuild")
        #endif
    }

    /// Ends MPI in this process after its last collective call (`MPI_Finalize`): every rank must
    /// call it, or `mpirun` reports the job as failed. Later calls do nothing.
    public func finalize() {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard !Self.finalized else { return }
        Self.finalized = true
        #if CONVNET_MPI
        MPI_Finalize()
        #endif
    }

    public func abort(code: Int32) -> Never {
        fflush(nil)
        #if CONVNET_MPI
        MPI_Abort(cmpi_comm_world(), code)
        #endif
        exit(code)
    }

    #if CONVNET_MPI
    /// MPI's counts are `Int32`: larger buffers go in pieces of at most 2^30 elements.
    private static let chunk = 1 << 30

    private static func check(_ status: Int32, _ call: String) throws {
        guard status != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw ConvNetError(op: "mpi", "\(call) failed: \(message)")
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws { try sumInPlace(buffer, cmpi_float()) }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws { try sumInPlace(buffer, cmpi_double()) }

    /// `MPI_Allreduce` in place of `buffer`, whose elements are `type`.
    private func sumInPlace<Element>(_ buffer: UnsafeMutableBufferPointer<Element>, _ type: MPI_Datatype) throws {
        try forEachChunk(of: buffer.count) { offset, count in
            try Self.check(MPI_Allreduce(cmpi_in_place(), buffer.baseAddress! + offset, Int32(count), type, cmpi_op_sum(),
                                         cmpi_comm_world()), "MPI_Allreduce")
        }
    }

    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction {
        let pending = MPIRequests()
        try forEachChunk(of: buffer.count) { offset, count in
            var request: MPI_Request? = cmpi_request_null()
            try Self.check(MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress! + offset, Int32(count), cmpi_float(), cmpi_op_sum(),
                                          cmpi_comm_world(), &request), "MPI_Iallreduce")
            pending.requests.append(request)
        }
        return pending
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        guard root >= 0, root < size else { throw ConvNetError(op: "mpi", "broadcast from rank \(root) of \(size)") }
        try forEachChunk(of: buffer.count) { offset, count in
            try Self.check(MPI_Bcast(buffer.baseAddress! + offset, Int32(count), cmpi_byte(), Int32(root), cmpi_comm_world()), "MPI_Bcast")
        }
    }

    private func forEachChunk(of count: Int, _ body: (Int, Int) throws -> Void) throws {
        var offset = 0
        while offset < count {
            let n = min(Self.chunk, count - offset)
            try body(offset, n)
            offset += n
        }
    }

    /// The requests of one started sum (one per piece).
    private final class MPIRequests: PendingReduction {
        var requests: [MPI_Request?] = []

        func test() throws -> Bool {
            var done: Int32 = 0
            try MPICommunicator.check(MPI_Testall(Int32(requests.count), &requests, &done, cmpi_statuses_ignore()), "MPI_Testall")
            return done != 0
        }

        func wait() throws {
            try MPICommunicator.check(MPI_Waitall(Int32(requests.count), &requests, cmpi_statuses_ignore()), "MPI_Waitall")
        }
    }
    #else
    private func missing() -> ConvNetError { ConvNetError(op: "mpi", "this convnet was built without MPI") }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws { throw missing() }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws { throw missing() }
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction { throw missing() }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws { throw missing() }
    #endif
}
