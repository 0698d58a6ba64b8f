import ConvNet
import Foundation

/// How `convnet` answers SIGINT (Ctrl-C), SIGTERM (`kill`, `timeout`, schedulers) and SIGHUP
/// (a closed terminal or SSH session), the same in every command: it removes the outputs it had
/// not finished (temporary files, a half-written export folder: ``TemporaryFiles``), prints one
/// line and exits with status 130. `train` first finishes its batch and writes a checkpoint
/// (``InterruptFlag``); only a second signal stops it at once.
///
/// The three signals are blocked in the main thread before it starts any other thread, so that
/// every thread it starts later (the data loader's, OpenMP's, which run the compute kernels)
/// blocks them too: the handler, which only writes the signal's number to a pipe, can then only
/// run on the thread of ours that reads the pipe (which unblocks them) or on the threads OpenBLAS
/// started when it was loaded, which wait idle or run OpenBLAS's kernels. A handler must never run on a thread inside oneDNN's JIT GEMM
/// kernels: they point the stack pointer into the heap while they run (oneDNN issue 4845, fixed
/// in 3.11), and the handler's frame written there corrupted the heap. 5 of 111 SIGTERMs in a
/// loop ended in "corrupted size vs. prev_size" (found by Tools/crash_drills.sh; AddressSanitizer
/// showed a signal handler writing into a oneDNN buffer).
///
/// The handler is installed with `sigaction` before `main` goes on, so a signal is never missed:
/// libdispatch's signal sources, used before, armed themselves asynchronously, and a signal in
/// the first milliseconds of a command was ignored (`eval` ran on to the end and exited 0).
/// The pipe's end the signal handler writes to (a C function pointer captures nothing).
nonisolated(unsafe) private var signalPipe: Int32 = -1

enum Interruption {
    /// The signals handled, with the names the message gives them.
    static let signals: [(number: Int32, name: String)] = [(SIGINT, "Ctrl-C"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")]
    /// The exit status of an interrupted command.
    static let status: Int32 = 130

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        /// Set while `train` runs: the first signal only raises it.
        var flag: InterruptFlag?
    }
    private static let state = State()

    /// Installs the handlers; call first in `main`, before any thread is started.
    static func install() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }  // no descriptors left: the signals keep their default action
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // The handler never waits: a full pipe already holds a signal to act on.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        signalPipe = ends[1]
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for (number, _) in signals {
            sigaddset(&blocked, number)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // Async-signal-safe: one write, errno kept for the thread it interrupted.
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        let (readEnd, handled) = (ends[0], blocked)
        let reader = Thread {
            // The one thread of ours that takes the signals (it only waits here): they reach the
            // handler even when every other thread blocks them, e.g. a parent started us with
            // them blocked (the mask is inherited), or OpenBLAS started no thread before main.
            var unblocked = handled
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return }
                if let (number, name) = signals.first(where: { $0.number == Int32(byte) }) { received(number, name) }
            }
        }
        reader.name = "convnet.signals"
        reader.start()
    }

    /// From now on the first signal sets the returned flag (the run stops after its batch with a
    /// checkpoint); a second one stops the process at once.
    static func finishBatchFirst() -> InterruptFlag {
        let flag = InterruptFlag()
        state.lock.lock()
        state.flag = flag
        state.lock.unlock()
        return flag
    }

    private static func received(_ number: Int32, _ name: String) {
        // After a hang-up nobody may be reading our output: a write must not end the process with SIGPIPE.
        if number == SIGHUP { signal(SIGPIPE, SIG_IGN) }
        state.lock.lock()
        let flag = state.flag
        state.lock.unlock()
        if let flag, flag.raise() {
            printToStandardError("\n\(name): stopping after this batch (again to quit now)")
            return
        }
        stopNow(name)
    }

    /// Removes the unfinished outputs and exits with ``status``, without running `atexit`
    /// handlers while other threads still compute.
    private static func stopNow(_ name: String) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let removed = TemporaryFiles.removeAllForExit()
        fflush(nil)  // what was printed so far
        printToStandardError("\n\(name): stopped" + (removed > 0 ? "; unfinished output removed" : ""))
        _exit(status)
    }
}

/// Raised by the first signal during `train` (see ``Interruption``): the run finishes its
/// batch and writes a checkpoint.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    /// Raises the flag; false if it was already raised.
    func raise() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let first = !set
        set = true
        return first
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}
