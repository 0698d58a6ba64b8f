import CDNNL
import Foundation

/// A memory layout that a oneDNN primitive chose for a tensor of some shape (e.g. `nChw16c`,
/// channels in zero-padded blocks of 16), interned by ``DNNLBuilder/layout(_:what:)``: equal
/// descriptors share one object, so plan caches key on ``id`` instead of comparing descriptors.
///
/// A layout that is not plain owns the cached reorder back to plain row-major, created with the
/// layout, so a failure to create it surfaces in the operation that first produced the layout.
final class DNNLLayout: @unchecked Sendable {
    /// Distinct per distinct descriptor, from 1 (plan keys use 0 for plain memory).
    let id: Int
    let desc: dnnl_memory_desc_t
    /// The logical dimensions (`[N, C, H, W]`).
    let dims: [Int]
    /// Whether this is plain row-major layout.
    let isPlain: Bool
    /// Floats of memory a tensor in this layout needs, blocked padding included.
    let capacity: Int
    /// Channels (dimension 1) per block: 16 in `nChw16c`, 8 in `nChw8c` (oneDNN's AVX2 kernels),
    /// 1 in plain and channels-last layouts.
    let channelBlock: Int
    private let toPlain: DNNLReorder?

    init(_ builder: DNNLBuilder, _ desc: dnnl_memory_desc_t, id: Int, what: String) throws {
        self.id = id
        self.desc = desc
        dims = DNNLDesc.dims(desc)
        isPlain = DNNLDesc.isPlain(desc)
        capacity = (DNNLDesc.size(desc) + MemoryLayout<Float>.stride - 1) / MemoryLayout<Float>.stride
        channelBlock = dims.count > 1 ? DNNLDesc.block(desc, dimension: 1) : 1
        toPlain = isPlain ? nil : try DNNLReorder(builder, from: desc, to: try DNNLDesc.plain(dims, what: what),
                                                  what: "\(what) (to plain)")
    }

    /// Copies a tensor from this layout into plain row-major memory.
    func copyToPlain(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>) throws {
        if let toPlain {
            try toPlain.run(from: source, to: target)
        } else {
            target.update(from: source, count: dims.reduce(1, *))
        }
    }
}

/// A cached reorder primitive between two layouts of the same data, with its two memory objects,
/// which its lock serialises (it takes no other lock inside).
final class DNNLReorder: @unchecked Sendable {
    private let primitive: DNNLPrimitive
    private let source: DNNLMemory
    private let target: DNNLMemory
    private let engine: dnnl_engine_t
    private let lock = NSLock()

    init(_ builder: DNNLBuilder, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, what: String) throws {
        primitive = try DNNLPrimitive(builder, DNNLPrimitiveDesc(builder, reorderFrom: from, to: to, what: what),
                                      what: what)
        source = try DNNLMemory(builder, from, owned: false, what: what)
        target = try DNNLMemory(builder, to, owned: false, what: what)
        engine = builder.engine
    }

    /// Reorders `from` into `to` and waits for it.
    func run(from: UnsafeRawPointer, to: UnsafeMutableRawPointer) throws {
        let execution = try DNNLExecution.current(engine)
        lock.lock()
        defer { lock.unlock() }
        try source.bind(from, what: primitive.what)
        try target.bind(to, what: primitive.what)
        try primitive.execute(execution, [(DNNL_ARG_FROM, source.handle), (DNNL_ARG_TO, target.handle)])
        try execution.wait(primitive.what)
    }
}
