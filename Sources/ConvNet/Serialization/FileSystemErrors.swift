import Foundation

extension ConvNetError {
    /// A Foundation file-system error (`CocoaError`, `POSIXError`) as one line in the project's
    /// style, `PATH: REASON`, where the reason is the system's (e.g. "Permission denied"), never
    /// "The operation could not be completed" or `Error Domain=NSCocoaErrorDomain …`.
    public init(op: String, path: String, _ error: Error) {
        self.init(.io, op: op, "\(path): \(Self.systemReason(error))")
    }

    /// The system's reason for a Foundation file-system error: the text of the POSIX error
    /// beneath it, or what its code means.
    public static func systemReason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(truncatingIfNeeded: ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return systemReason(underlying) }
        guard ns.domain == NSCocoaErrorDomain else { return String(describing: error) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
        case .fileWriteFileExists: return String(cString: strerror(EEXIST))
        case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return "the name is not valid"
        case .fileReadTooLarge: return "the file is too large"
        case .fileReadUnknownStringEncoding, .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
            return "the text is not in the expected encoding"
        default: return "file-system error \(ns.code)"
        }
    }

    /// `error`, or, when it is a raw Foundation file-system error, a ``ConvNetError`` for `op`
    /// saying the same in one line with the path it names: a last line of defence where errors
    /// are printed.
    public static func readable(_ error: Error, op: String) -> Error {
        guard !(error is ConvNetError) else { return error }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return path.map { ConvNetError(op: op, path: $0, error) } ?? ConvNetError(.io, op: op, systemReason(error))
    }
}
