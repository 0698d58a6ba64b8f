import CDNNL
import Foundation

/// What running a primitive needs besides the primitive: a stream and scratchpad memory, one of
/// each per thread, so that plans running on different threads share nothing.
///
/// The stream is an in-order queue on the engine (CPU primitives run synchronously in it); the
/// scratchpad is the primitives' temporary memory (the context asks for user-managed scratchpads),
/// grown to the largest request and reused, since fresh pages for every call would cost more than
/// small layers' arithmetic.
final class DNNLExecution {
    let stream: dnnl_stream_t
    private var scratch: UnsafeMutableRawPointer?
    private var scratchBytes = 0

    private init(engine: dnnl_engine_t) throws {
        var stream: dnnl_stream_t?
        // dnnl_stream_create: an in-order execution queue on the engine.
        try dnnlCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "setup", "creating a stream")
        self.stream = stream!
    }

    deinit {
        dnnl_stream_destroy(stream)
        free(scratch)
    }

    /// A scratchpad of at least `bytes` (valid until the next call on this thread).
    func scratchpad(bytes: Int, what: String) throws -> UnsafeMutableRawPointer {
        if bytes > scratchBytes {
            free(scratch)
            (scratch, scratchBytes) = (nil, 0)
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
                throw ConvNetError(op: "onednn \(what)", "out of memory allocating a scratchpad of \(bytes) bytes")
            }
            (scratch, scratchBytes) = (raw, bytes)
        }
        return scratch!
    }

    /// Waits for everything queued on the stream.
    func wait(_ what: String) throws {
        try dnnlCheck(dnnl_stream_wait(stream), what, "waiting for the stream")
    }

    /// The calling thread's execution resources on `engine`, created on the thread's first call
    /// and released when the thread exits.
    static func current(_ engine: dnnl_engine_t) throws -> DNNLExecution {
        if let known = pthread_getspecific(key) { return Unmanaged<DNNLExecution>.fromOpaque(known).takeUnretainedValue() }
        let created = try DNNLExecution(engine: engine)
        pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
        return created
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in
            #if os(Linux)
            if let value { Unmanaged<DNNLExecution>.fromOpaque(value).release() }
            #else
            Unmanaged<DNNLExecution>.fromOpaque(value).release()
            #endif
        }
        return key
    }()
}
