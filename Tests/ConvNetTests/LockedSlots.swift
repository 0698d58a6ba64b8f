import Dispatch

/// Per-thread results of a concurrency test: slot i is written by caller i, read after all finish;
/// every access holds a lock.
final class LockedSlots<Value>: @unchecked Sendable {
    private var values: [Value?]
    private let lock = DispatchSemaphore(value: 1)

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: Value?) {
        lock.wait()
        values[i] = value
        lock.signal()
    }

    func get(_ i: Int) -> Value? {
        lock.wait()
        defer { lock.signal() }
        return values[i]
    }
}
