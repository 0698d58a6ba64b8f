import CDNNL

/// Helpers for oneDNN memory descriptors (plain C structs).
enum DNNLDesc {
    /// An fp32 descriptor of `dims` in layout `tag` (`dnnl_format_tag_any` lets a primitive choose).
    static func make(_ dims: [Int], _ tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32,
                     what: String) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims64 = dims.map(Int64.init)
        // dnnl_memory_desc_init_by_tag: fills the struct from dimensions, data type and layout tag.
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims64, type, tag),
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

    /// How many consecutive indices of `dimension` a block of `md` holds: the product of its inner
    /// blocks along it (16 for the channels of `nChw16c`, 8 for `nChw8c`), 1 where it has none.
    static func block(_ md: dnnl_memory_desc_t, dimension: Int) -> Int {
        guard md.format_kind == dnnl_blocked else { return 1 }
        let blocking = md.format_desc.blocking
        return withUnsafeBytes(of: blocking.inner_blks) { sizes in
            withUnsafeBytes(of: blocking.inner_idxs) { indices in
                (0..<Int(blocking.inner_nblks)).reduce(1) { product, i in
                    let offset = i * MemoryLayout<Int64>.stride
                    return indices.load(fromByteOffset: offset, as: Int64.self) == dimension
                        ? product * Int(sizes.load(fromByteOffset: offset, as: Int64.self)) : product
                }
            }
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
