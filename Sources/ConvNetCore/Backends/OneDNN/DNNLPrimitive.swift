import CDNNL

/// An owned primitive descriptor: the chosen implementation and its memory layouts.
final class DNNLPrimitiveDesc {
    let handle: dnnl_primitive_desc_t

    /// Creates the descriptor of an operation (`opDesc` points to a dnnl_*_desc_t); backward
    /// passes pass the forward descriptor as `hint`.
    /// `attributes`: the primitive's own (post-ops), else the shared ones.
    init(_ builder: DNNLBuilder, opDesc: UnsafeRawPointer, hint: DNNLPrimitiveDesc?, attributes: dnnl_primitive_attr_t? = nil,
         what: String, shapes: @autoclosure () -> String) throws {
        var pd: dnnl_primitive_desc_t?
        // dnnl_primitive_desc_create: picks the first (fastest) implementation for this descriptor.
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attributes ?? builder.attributes, builder.engine, hint?.handle),
                      what, "creating the primitive descriptor for \(shapes())")
        handle = pd!
    }

    /// Creates the descriptor of a reorder (layout conversion) from `source` to `target`.
    init(_ builder: DNNLBuilder, reorderFrom source: dnnl_memory_desc_t, to target: dnnl_memory_desc_t,
         what: String) throws {
        var (source, target) = (source, target)
        var pd: dnnl_primitive_desc_t?
        // dnnl_reorder_primitive_desc_create: a copy between two layouts of the same data.
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &source, builder.engine, &target, builder.engine,
                                                         builder.attributes),
                      what, "creating a reorder descriptor")
        handle = pd!
    }

    /// Creates the descriptor of a concatenation of `sources` along `dimension` into `target`.
    init(_ builder: DNNLBuilder, concatenating sources: [dnnl_memory_desc_t], dimension: Int, into target: dnnl_memory_desc_t,
         what: String) throws {
        var target = target
        var pd: dnnl_primitive_desc_t?
        // dnnl_concat_primitive_desc_create: copies each source into its slice of the output.
        try dnnlCheck(dnnl_concat_primitive_desc_create(&pd, &target, Int32(sources.count), Int32(dimension), sources,
                                                        builder.attributes, builder.engine),
                      what, "creating a concat descriptor")
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
///
/// Not for concurrent calls: the scratchpad memory object is rebound to the calling thread's
/// scratchpad on each call. Every primitive belongs to a plan or a reorder whose lock serialises them.
final class DNNLPrimitive {
    let desc: DNNLPrimitiveDesc
    let handle: dnnl_primitive_t
    private let scratchpad: DNNLMemory?
    private let scratchpadBytes: Int
    let what: String

    init(_ builder: DNNLBuilder, _ desc: DNNLPrimitiveDesc, what: String) throws {
        var primitive: dnnl_primitive_t?
        // dnnl_primitive_create: compiles (JIT) the implementation the descriptor chose.
        try dnnlCheck(dnnl_primitive_create(&primitive, desc.handle), what, "creating the primitive")
        self.desc = desc
        self.handle = primitive!
        self.what = what
        let scratchDesc = desc.desc(for: DNNL_ARG_SCRATCHPAD)
        scratchpadBytes = DNNLDesc.size(scratchDesc)
        scratchpad = scratchpadBytes > 0 ? try DNNLMemory(builder, scratchDesc, owned: false, what: what) : nil
    }

    /// Runs the primitive on `args` (DNNL_ARG_* → memory) with the calling thread's stream and scratchpad.
    func execute(_ execution: DNNLExecution, _ args: [(Int32, dnnl_memory_t)]) throws {
        var list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        if let scratchpad {
            try scratchpad.bind(try execution.scratchpad(bytes: scratchpadBytes, what: what), what: what)
            list.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad.handle))
        }
        // dnnl_primitive_execute: queues the primitive on the stream with these arguments.
        try dnnlCheck(dnnl_primitive_execute(handle, execution.stream, Int32(list.count), list),
                      what, "executing (\(desc.implementation))")
    }

    deinit { dnnl_primitive_destroy(handle) }
}
