import CDNNL
import Foundation

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
    init(_ builder: DNNLBuilder, _ argument: DNNLArgument, wanted: dnnl_memory_desc_t, what: String) throws {
        arg = argument.arg
        role = argument.role
        isOutput = argument.isOutput
        let userDesc: dnnl_memory_desc_t
        switch argument.role {
        case .input(let given):
            userDesc = given
            readsPlain = DNNLDesc.isPlain(given)
            layout = readsPlain ? nil : try builder.layout(given, what: what)
        case .output(let given):
            userDesc = given ?? wanted
            readsPlain = false
            layout = given == nil ? try builder.layout(wanted, what: what) : nil
        case .buffer:
            userDesc = wanted
            readsPlain = false
            layout = nil
        }
        user = try DNNLMemory(builder, userDesc, owned: false, what: what)
        if DNNLDesc.same(userDesc, wanted) {
            inner = nil
            reorder = nil
        } else {
            inner = try DNNLMemory(builder, wanted, owned: true, what: what)
            let (from, to) = isOutput ? (wanted, userDesc) : (userDesc, wanted)
            reorder = try DNNLPrimitive(builder, DNNLPrimitiveDesc(builder, reorderFrom: from, to: to, what: what),
                                        what: "\(what) reorder")
        }
    }

    /// The memory object the primitive reads or writes.
    var memory: dnnl_memory_t { inner?.handle ?? user.handle }

    /// Whether a reorder runs for this argument (its layouts differ).
    var reorders: Bool { reorder != nil }

    /// Binds the caller's pointer; for an input, reorders it into the primitive's layout.
    func bindAndPrepare(_ execution: DNNLExecution, _ pointer: UnsafeRawPointer) throws {
        try user.bind(pointer, what: reorder?.what ?? "bind")
        if !isOutput, let reorder, let inner {
            try reorder.execute(execution, [(DNNL_ARG_FROM, user.handle), (DNNL_ARG_TO, inner.handle)])
        }
    }

    /// For an output, reorders the primitive's result into the caller's layout.
    func finish(_ execution: DNNLExecution) throws {
        if isOutput, let reorder, let inner {
            try reorder.execute(execution, [(DNNL_ARG_FROM, inner.handle), (DNNL_ARG_TO, user.handle)])
        }
    }
}

/// A cached, ready-to-run operation for one shape and set of input layouts: the primitive and one
/// port per argument. ``run(inputs:outputs:buffers:)`` (DNNLTensorPlan.swift) runs it on tensors.
///
/// A plan's memory objects are rebound on every call, so its own lock serialises calls of the same
/// plan; calls of different plans, on different threads, run side by side. The lock is held while
/// the plan binds, reorders, executes and waits, and nothing in between takes another lock.
final class DNNLPlan: @unchecked Sendable {
    let primitive: DNNLPrimitive
    let ports: [DNNLPort]
    /// The forward descriptor a backward primitive was created with, kept alive alongside it.
    private let hint: DNNLPrimitiveDesc?
    private let engine: dnnl_engine_t
    private let lock = NSLock()

    init(_ builder: DNNLBuilder, _ desc: DNNLPrimitiveDesc, hint: DNNLPrimitiveDesc? = nil, what: String,
         arguments: [DNNLArgument]) throws {
        primitive = try DNNLPrimitive(builder, desc, what: what)
        ports = try arguments.map { try DNNLPort(builder, $0, wanted: desc.desc(for: $0.arg), what: what) }
        self.hint = hint
        engine = builder.engine
    }

    /// Whether any argument goes through a reorder (the primitive chose a layout the caller does not have).
    var reorders: Bool { ports.contains { $0.reorders } }

    /// Runs the operation on the caller's buffers, given per argument (DNNL_ARG_* → pointer);
    /// reorders inputs in, executes, reorders outputs out, and waits for the stream.
    func execute(_ buffers: [Int32: UnsafeRawPointer]) throws {
        let execution = try DNNLExecution.current(engine)
        lock.lock()
        defer { lock.unlock() }
        for port in ports {
            guard let pointer = buffers[port.arg] else {
                throw ConvNetError(op: "onednn \(primitive.what)", "no buffer given for argument \(port.arg)")
            }
            try port.bindAndPrepare(execution, pointer)
        }
        try primitive.execute(execution, ports.map { ($0.arg, $0.memory) })
        for port in ports { try port.finish(execution) }
        try execution.wait(primitive.what)
    }
}
