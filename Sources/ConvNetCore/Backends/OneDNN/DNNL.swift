import CDNNL
import Foundation

// The small layer between oneDNN's C API and the kernels: status checks, one engine and stream,
// memory descriptors, primitives with their scratchpad, and the per-shape cache of "plans".
//
// Every oneDNN call made by the kernels runs inside `DNNL.run`, which holds one process-wide lock:
// the stream, the cached plans (whose memory objects are rebound on every call) and the shared
// scratchpad are then never used by two threads at once. oneDNN itself spreads each primitive
// over all cores with OpenMP, so serialising calls costs nothing on the expected single-caller path.
//
// Lock order: a tensor in a oneDNN layout converts itself to plain under its own lock and then takes
// this one (DNNLTensorMemory.swift). So code inside `DNNL.run` must never read `Tensor.storage`:
// kernels resolve every tensor to memory first (DNNLOperand, DNNLTensorPlan.swift). A thread that
// enters `DNNL.run` again from inside it (such a read would) stops with a message instead of
// waiting forever on the lock it holds.

/// The name of a oneDNN status, for error messages.
func dnnlStatusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_success: "dnnl_success"
    case dnnl_out_of_memory: "dnnl_out_of_memory"
    case dnnl_invalid_arguments: "dnnl_invalid_arguments"
    case dnnl_unimplemented: "dnnl_unimplemented"
    case dnnl_iterator_ends: "dnnl_iterator_ends"
    case dnnl_runtime_error: "dnnl_runtime_error"
    case dnnl_not_required: "dnnl_not_required"
    default: "dnnl status \(status.rawValue)"
    }
}

/// Throws `ConvNetError(op: "onednn <what>", …)` unless `status` is `dnnl_success`.
/// - Parameters:
///   - what: the operation, e.g. `convolution forward`.
///   - context: what was being done and on which shapes.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String,
               _ context: @autoclosure () -> String) throws {
    if status != dnnl_success {
        throw ConvNetError(op: "onednn \(what())", "\(dnnlStatusName(status)) \(context())")
    }
}

/// Helpers for oneDNN memory descriptors (plain C structs).
enum DNNLDesc {
    /// An fp32 descriptor of `dims` in layout `tag` (`dnnl_format_tag_any` lets a primitive choose).
    static func make(_ dims: [Int], _ tag: dnnl_format_tag_t, what: String) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims64 = dims.map(Int64.init)
        // dnnl_memory_desc_init_by_tag: fills the struct from dimensions, data type and layout tag.
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims64, dnnl_f32, tag),
                      what, "creating a memory descriptor for \(describe(dims))")
        return md
    }

    /// Plain row-major layout of fp32 data (`a`, `ab`, `abcd` = NCHW / OIHW, …): what ``TensorStorage`` holds.
    static func plain(_ dims: [Int], what: String) throws -> dnnl_memory_desc_t {
        var strides = [Int64](repeating: 1, count: dims.count)
        for d in dims.indices.dropLast().reversed() { strides[d] = strides[d + 1] * Int64(dims[d + 1]) }
        var md = dnnl_memory_desc_t()
        // dnnl_memory_desc_init_by_strides: a descriptor from dimensions and explicit (row-major) strides.
        try dnnlCheck(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), dims.map(Int64.init), dnnl_f32, strides),
                      what, "creating a memory descriptor for \(describe(dims))")
        return md
    }

    /// The logical dimensions of a descriptor.
    static func dims(_ md: dnnl_memory_desc_t) -> [Int] {
        withUnsafeBytes(of: md.dims) { raw in
            (0..<Int(md.ndims)).map { Int(raw.load(fromByteOffset: $0 * MemoryLayout<Int64>.stride, as: Int64.self)) }
        }
    }

    /// Whether `md` is fp32 in plain row-major layout.
    static func isPlain(_ md: dnnl_memory_desc_t) -> Bool {
        guard md.data_type == dnnl_f32, let plain = try? plain(dims(md), what: "layout") else { return false }
        return same(plain, md)
    }

    /// Whether two descriptors describe the same layout (so no reorder is needed between them).
    static func same(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// Bytes needed by memory of this descriptor (including blocked padding).
    static func size(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return dnnl_memory_desc_get_size(&md)
    }
}

/// The process-wide oneDNN objects: a CPU engine, an in-order stream, the primitive attribute that
/// asks for a user-managed scratchpad, one growable scratchpad buffer, and the plan cache.
package final class DNNLContext: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// Attributes for every primitive: `dnnl_scratchpad_mode_user`, so that temporary memory comes
    /// from `scratchpad(bytes:)` (allocated once, grown when needed) instead of each call.
    let attributes: dnnl_primitive_attr_t
    private let lock = NSLock()
    private var plans: [AnyHashable: AnyObject] = [:]
    /// Interned layouts by dimensions (see ``layout(_:what:)``).
    private var layouts: [[Int]: [DNNLLayout]] = [:]
    private var layoutCount = 0
    private var scratch: UnsafeMutableRawPointer?
    private var scratchBytes = 0

    /// The shared context, created on first use; creation errors are rethrown by every `DNNL.run`.
    static let shared: Result<DNNLContext, ConvNetError> = {
        do { return .success(try DNNLContext()) } catch let error as ConvNetError { return .failure(error) } catch {
            return .failure(ConvNetError(op: "onednn setup", "\(error)"))
        }
    }()

    private init() throws {
        var engine: dnnl_engine_t?
        // dnnl_engine_create: the CPU engine (index 0) that owns primitives and memory.
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "setup", "creating the CPU engine")
        var stream: dnnl_stream_t?
        // dnnl_stream_create: an in-order execution queue on that engine.
        try dnnlCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue),
                      "setup", "creating a stream")
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "setup", "creating primitive attributes")
        // dnnl_primitive_attr_set_scratchpad_mode: primitives take their scratchpad as an argument.
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                      "setup", "selecting the user scratchpad mode")
        self.engine = engine!
        self.stream = stream!
        self.attributes = attr!
    }

    /// The cached plan for `key`, made by `make` on first use and kept for the process lifetime.
    /// Call only inside `DNNL.run` (the lock is held).
    func plan<Key: Hashable, Plan: AnyObject>(_ key: Key, _ make: () throws -> Plan) rethrows -> Plan {
        if let plan = plans[AnyHashable(key)] as? Plan { return plan }
        let plan = try make()
        plans[AnyHashable(key)] = plan
        return plan
    }

    /// The interned layout equal to `desc` (dnnl_memory_desc_equal), created on first use with its
    /// reorder to plain, so that equal layouts share one ``DNNLLayout/id`` that plan keys can use.
    /// Call only inside `DNNL.run`.
    func layout(_ desc: dnnl_memory_desc_t, what: String) throws -> DNNLLayout {
        let dims = DNNLDesc.dims(desc)
        if let known = layouts[dims]?.first(where: { DNNLDesc.same($0.desc, desc) }) { return known }
        layoutCount += 1
        let layout = try DNNLLayout(self, desc, id: layoutCount, what: what)
        layouts[dims, default: []].append(layout)
        return layout
    }

    /// A scratchpad of at least `bytes`, shared by all primitives (they run one at a time).
    func scratchpad(bytes: Int) throws -> UnsafeMutableRawPointer {
        if bytes > scratchBytes {
            free(scratch)
            scratch = nil
            scratchBytes = 0
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
                throw ConvNetError(op: "onednn scratchpad", "out of memory allocating \(bytes) bytes")
            }
            scratch = raw
            scratchBytes = bytes
        }
        return scratch!
    }

    /// Runs `body` holding the context's lock.
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        precondition(!DNNLThread.isInsideRun,
                     "DNNL.run entered again from inside DNNL.run (a Tensor.storage read in a oneDNN kernel?): it would deadlock")
        lock.lock()
        DNNLThread.isInsideRun = true
        defer {
            DNNLThread.isInsideRun = false
            lock.unlock()
        }
        return try body()
    }

    /// Waits for everything queued on the stream (CPU primitives finish synchronously, but the API asks for it).
    func wait(_ what: String) throws {
        try dnnlCheck(dnnl_stream_wait(stream), what, "waiting for the stream")
    }
}

/// Whether the current thread is inside `DNNL.run` (a thread-local flag).
enum DNNLThread {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var isInsideRun: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }
}

/// Entry point of the oneDNN kernels.
package enum DNNL {
    /// Runs `body` with the shared context, holding its lock for the whole operation.
    package static func run<R>(_ body: (DNNLContext) throws -> R) throws -> R {
        let context = try DNNLContext.shared.get()
        return try context.locked { try body(context) }
    }
}

/// A oneDNN memory object: either bound per call to memory the caller owns (`owned: false`), or
/// with a buffer oneDNN allocates once and frees on destruction (`owned: true`).
final class DNNLMemory {
    let handle: dnnl_memory_t
    let desc: dnnl_memory_desc_t

    init(_ context: DNNLContext, _ desc: dnnl_memory_desc_t, owned: Bool, what: String) throws {
        var desc = desc
        var memory: dnnl_memory_t?
        // dnnl_memory_create: DNNL_MEMORY_ALLOCATE makes oneDNN own a buffer; DNNL_MEMORY_NONE leaves it unbound.
        try dnnlCheck(dnnl_memory_create(&memory, &desc, context.engine,
                                         owned ? shim_dnnl_memory_allocate() : shim_dnnl_memory_none()),
                      what, "creating a memory object of \(DNNLDesc.size(desc)) bytes")
        self.handle = memory!
        self.desc = desc
    }

    /// Points the memory object at `pointer` (no copy).
    func bind(_ pointer: UnsafeRawPointer, what: String) throws {
        // dnnl_memory_set_data_handle: replaces the buffer behind the memory object.
        try dnnlCheck(dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: pointer)),
                      what, "binding a buffer")
    }

    deinit { dnnl_memory_destroy(handle) }
}

/// An owned primitive descriptor: the chosen implementation and its memory layouts.
final class DNNLPrimitiveDesc {
    let handle: dnnl_primitive_desc_t

    /// Creates the descriptor of an operation (`opDesc` points to a dnnl_*_desc_t); backward
    /// passes pass the forward descriptor as `hint`.
    init(_ context: DNNLContext, opDesc: UnsafeRawPointer, hint: DNNLPrimitiveDesc?, what: String,
         shapes: @autoclosure () -> String) throws {
        var pd: dnnl_primitive_desc_t?
        // dnnl_primitive_desc_create: picks the first (fastest) implementation for this descriptor.
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, context.attributes, context.engine, hint?.handle),
                      what, "creating the primitive descriptor for \(shapes())")
        handle = pd!
    }

    /// Creates the descriptor of a reorder (layout conversion) from `source` to `target`.
    init(_ context: DNNLContext, reorderFrom source: dnnl_memory_desc_t, to target: dnnl_memory_desc_t,
         what: String) throws {
        var (source, target) = (source, target)
        var pd: dnnl_primitive_desc_t?
        // dnnl_reorder_primitive_desc_create: a copy between two layouts of the same data.
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &source, context.engine, &target, context.engine,
                                                         context.attributes),
                      what, "creating a reorder descriptor")
        handle = pd!
    }

    /// The layout the primitive expects for execution argument `arg` (DNNL_ARG_*); a zero
    /// descriptor when it takes no such argument.
    func desc(for arg: Int32) -> dnnl_memory_desc_t {
        // dnnl_primitive_desc_query_md with dnnl_query_exec_arg_md: the descriptor of one argument.
        dnnl_primitive_desc_query_md(handle, dnnl_query_exec_arg_md, arg)?.pointee ?? dnnl_memory_desc_t()
    }

    /// The implementation oneDNN chose (e.g. `brg:avx512_core`), for benchmarks and debugging.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "?" }
        return String(cString: name)
    }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

/// A primitive ready to run: its descriptor, the compiled primitive, and a scratchpad memory object.
final class DNNLPrimitive {
    let desc: DNNLPrimitiveDesc
    let handle: dnnl_primitive_t
    private let scratchpad: DNNLMemory?
    private let scratchpadBytes: Int
    let what: String

    init(_ context: DNNLContext, _ desc: DNNLPrimitiveDesc, what: String) throws {
        var primitive: dnnl_primitive_t?
        // dnnl_primitive_create: compiles (JIT) the implementation the descriptor chose.
        try dnnlCheck(dnnl_primitive_create(&primitive, desc.handle), what, "creating the primitive")
        self.desc = desc
        self.handle = primitive!
        self.what = what
        let scratchDesc = desc.desc(for: DNNL_ARG_SCRATCHPAD)
        scratchpadBytes = DNNLDesc.size(scratchDesc)
        scratchpad = scratchpadBytes > 0 ? try DNNLMemory(context, scratchDesc, owned: false, what: what) : nil
    }

    /// Runs the primitive on `args` (DNNL_ARG_* → memory), adding the shared scratchpad.
    func execute(_ context: DNNLContext, _ args: [(Int32, dnnl_memory_t)]) throws {
        var list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        if let scratchpad {
            try scratchpad.bind(try context.scratchpad(bytes: scratchpadBytes), what: what)
            list.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad.handle))
        }
        // dnnl_primitive_execute: queues the primitive on the stream with these arguments.
        try dnnlCheck(dnnl_primitive_execute(handle, context.stream, Int32(list.count), list),
                      what, "executing (\(desc.implementation))")
    }

    deinit { dnnl_primitive_destroy(handle) }
}

/// How a plan's caller provides one execution argument of its primitive.
struct DNNLArgument {
    enum Role {
        /// A tensor the primitive reads, given in this layout (plain, or the oneDNN layout it already
        /// has); reordered into the primitive's own layout when that differs.
        case input(dnnl_memory_desc_t)
        /// A tensor the primitive writes: in this layout (reordered out of the primitive's own), or,
        /// for `nil`, in the primitive's own layout, which the plan interns as a ``DNNLLayout``.
        case output(dnnl_memory_desc_t?)
        /// Other memory in the primitive's own layout (a workspace, batch statistics).
        case buffer(isOutput: Bool)
    }

    var arg: Int32
    var role: Role

    static func input(_ arg: Int32, _ layout: dnnl_memory_desc_t) -> Self { Self(arg: arg, role: .input(layout)) }
    static func output(_ arg: Int32, _ layout: dnnl_memory_desc_t? = nil) -> Self { Self(arg: arg, role: .output(layout)) }
    static func buffer(_ arg: Int32, isOutput: Bool) -> Self { Self(arg: arg, role: .buffer(isOutput: isOutput)) }

    var isOutput: Bool {
        switch role {
        case .input: false
        case .output: true
        case .buffer(let isOutput): isOutput
        }
    }
}

/// One argument of a primitive: the caller's memory in the caller's layout and, when the primitive
/// chose another layout, a cached buffer in that layout plus the reorder between the two.
final class DNNLPort {
    let arg: Int32
    let role: DNNLArgument.Role
    let isOutput: Bool
    private let user: DNNLMemory
    private let inner: DNNLMemory?
    private let reorder: DNNLPrimitive?
    /// For an input: whether the caller's layout is plain row-major (the caller passes plain memory).
    let readsPlain: Bool
    /// For an input given in a oneDNN layout, or an output returned in the primitive's own layout:
    /// that layout, interned.
    let layout: DNNLLayout?

    /// - Parameter wanted: the layout the primitive expects for this argument.
    init(_ context: DNNLContext, _ argument: DNNLArgument, wanted: dnnl_memory_desc_t, what: String) throws {
        arg = argument.arg
        role = argument.role
        isOutput = argument.isOutput
        let userDesc: dnnl_memory_desc_t
        switch argument.role {
        case .input(let given):
            userDesc = given
            readsPlain = DNNLDesc.isPlain(given)
            layout = readsPlain ? nil : try context.layout(given, what: what)
        case .output(let given):
            userDesc = given ?? wanted
            readsPlain = false
            layout = given == nil ? try context.layout(wanted, what: what) : nil
        case .buffer:
            userDesc = wanted
            readsPlain = false
            layout = nil
        }
        user = try DNNLMemory(context, userDesc, owned: false, what: what)
        if DNNLDesc.same(userDesc, wanted) {
            inner = nil
            reorder = nil
        } else {
            inner = try DNNLMemory(context, wanted, owned: true, what: what)
            let (from, to) = isOutput ? (wanted, userDesc) : (userDesc, wanted)
            reorder = try DNNLPrimitive(context, DNNLPrimitiveDesc(context, reorderFrom: from, to: to, what: what),
                                        what: "\(what) reorder")
        }
    }

    /// The memory object the primitive reads or writes.
    var memory: dnnl_memory_t { inner?.handle ?? user.handle }

    /// Whether a reorder runs for this argument (its layouts differ).
    var reorders: Bool { reorder != nil }

    /// Binds the caller's pointer; for an input, reorders it into the primitive's layout.
    func bindAndPrepare(_ context: DNNLContext, _ pointer: UnsafeRawPointer) throws {
        try user.bind(pointer, what: reorder?.what ?? "bind")
        if !isOutput, let reorder, let inner {
            try reorder.execute(context, [(DNNL_ARG_FROM, user.handle), (DNNL_ARG_TO, inner.handle)])
        }
    }

    /// For an output, reorders the primitive's result into the caller's layout.
    func finish(_ context: DNNLContext) throws {
        if isOutput, let reorder, let inner {
            try reorder.execute(context, [(DNNL_ARG_FROM, inner.handle), (DNNL_ARG_TO, user.handle)])
        }
    }
}

/// A cached, ready-to-run operation for one shape and set of input layouts: the primitive and one
/// port per argument. ``run(inputs:outputs:buffers:)`` (DNNLTensorPlan.swift) runs it on tensors.
final class DNNLPlan {
    let primitive: DNNLPrimitive
    let ports: [DNNLPort]
    /// The forward descriptor a backward primitive was created with, kept alive alongside it.
    private let hint: DNNLPrimitiveDesc?

    init(_ context: DNNLContext, _ desc: DNNLPrimitiveDesc, hint: DNNLPrimitiveDesc? = nil, what: String,
         arguments: [DNNLArgument]) throws {
        primitive = try DNNLPrimitive(context, desc, what: what)
        ports = try arguments.map { try DNNLPort(context, $0, wanted: desc.desc(for: $0.arg), what: what) }
        self.hint = hint
    }

    /// Whether any argument goes through a reorder (the primitive chose a layout the caller does not have).
    var reorders: Bool { ports.contains { $0.reorders } }

    /// Runs the operation on the caller's buffers, given per argument (DNNL_ARG_* → pointer);
    /// reorders inputs in, executes, reorders outputs out, and waits for the stream.
    func run(_ context: DNNLContext, _ buffers: [Int32: UnsafeRawPointer]) throws {
        for port in ports {
            guard let pointer = buffers[port.arg] else {
                throw ConvNetError(op: "onednn \(primitive.what)", "no buffer given for argument \(port.arg)")
            }
            try port.bindAndPrepare(context, pointer)
        }
        try primitive.execute(context, ports.map { ($0.arg, $0.memory) })
        for port in ports { try port.finish(context) }
        try context.wait(primitive.what)
    }
}

/// Memory that a backward closure keeps from its forward pass (a pooling workspace), freed with it.
final class DNNLBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int, what: String) throws {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, 1)) == 0, let raw else {
            throw ConvNetError(op: "onednn \(what)", "out of memory allocating \(bytes) bytes")
        }
        pointer = raw
    }

    deinit { free(pointer) }
}
