import CDNNL
import Foundation

/// A oneDNN memory object: either bound per call to memory the caller owns (`owned: false`), or
/// with a buffer oneDNN allocates once and frees on destruction (`owned: true`).
final class DNNLMemory {
    let handle: dnnl_memory_t
    let desc: dnnl_memory_desc_t

    init(_ builder: DNNLBuilder, _ desc: dnnl_memory_desc_t, owned: Bool, what: String) throws {
        var desc = desc
        var memory: dnnl_memory_t?
        // dnnl_memory_create: DNNL_MEMORY_ALLOCATE makes oneDNN own a buffer; DNNL_MEMORY_NONE leaves it unbound.
        try dnnlCheck(dnnl_memory_create(&memory, &desc, builder.engine,
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
