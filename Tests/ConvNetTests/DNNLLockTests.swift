import ConvNetCore
import Testing

@Suite("oneDNN lock")
struct DNNLLockTests {
    @Test("entering DNNL.run again from inside it stops with a message instead of deadlocking")
    func reentryStops() async throws {
        await #expect(processExitsWith: .failure) {
            _ = try? DNNL.run { _ in try DNNL.run { _ in 1 } }
        }
        // Leaving DNNL.run clears the flag: calls one after the other on a thread work.
        #expect(try DNNL.run { _ in 1 } + DNNL.run { _ in 2 } == 3)
    }
}
