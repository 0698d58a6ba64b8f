import Foundation

extension RegularFile {
    /// The file's bytes mapped read-only into memory rather than read: nothing is copied, pages
    /// are read as a parser touches them, and a file too large for the address space is an error
    /// (a failed mapping), never a trap. Its size is first checked against memory, since a parser
    /// keeps what it decodes (an ONNX file's tensors are copied out of it).
    ///
    /// The mapping lasts as long as the `Data`; a file truncated by another process meanwhile
    /// would fault, so it is for files read once, as a model is loaded.
    /// - Throws: ``ConvNetError`` for `op` naming the file and the reason.
    package static func mapped(_ path: String, op: String, limit: Int = defaultLimit) throws -> Data {
        try open(RawPath(path), op: op, limit: limit).mapped()
    }
}

extension OpenedFile {
    /// The whole file mapped read-only (see ``RegularFile/mapped(_:op:limit:)``); the mapping
    /// outlives the descriptor.
    package func mapped() throws -> Data {
        try MemoryBudget.require(size, op: op, what: "\(name) (\(size) bytes)")
        guard size > 0 else { return Data() }
        let address = withDescriptor { mmap(nil, size, PROT_READ, MAP_PRIVATE, $0, 0) }
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw ConvNetError(.io, op: op, "\(name): cannot map its \(size) bytes into memory (\(String(cString: strerror(errno))))")
        }
        return Data(bytesNoCopy: address, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }
}
