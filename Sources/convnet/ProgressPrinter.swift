import ConvNet
import Foundation

/// Draws training progress: a live bar on a terminal, a plain line every tenth of an epoch
/// otherwise, and one summary line per epoch.
final class ProgressPrinter: TrainingObserver {
    let epochs: Int
    let isTerminal = isatty(STDOUT_FILENO) == 1
    private var lastDraw = 0.0
    private var lastTenth = -1
    private var lineOpen = false

    init(epochs: Int) { self.epochs = epochs }

    func batchFinished(_ p: BatchProgress) {
        // Formatted only for the batches that are drawn (about 10 a second, or 10 an epoch).
        var stats: String {
            String(format: "%.0f img/s  ETA %@  loss %.4f  acc %.2f%%  lr %.3g",
                   p.samplesPerSecond, clock(p.secondsRemaining), p.loss, p.accuracy, p.learningRate)
        }
        if isTerminal {
            let now = Stopwatch.now()
            guard now - lastDraw > 0.1 || p.batch == p.batches else { return }
            lastDraw = now
            let width = 24, filled = p.batch * width / p.batches
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "epoch \(p.epoch)/\(epochs) \(bar) \(p.batch)/\(p.batches)  " + stats
            FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line).utf8))
            lineOpen = true
        } else {
            let tenth = p.batch * 10 / p.batches
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            print("epoch \(p.epoch)/\(epochs)  batch \(p.batch)/\(p.batches)  " + stats)
            fflush(nil)  // a log file or pipe gets each line now, not a 4 KB block tens of seconds later
        }
    }

    func epochFinished(_ m: EpochMetrics) {
        finishLine()
        lastTenth = -1
        print(String(format: "epoch %d/%d  train loss %.4f  acc %.2f%%  |  test loss %.4f  acc %.2f%%  |  %.1f s",
                     m.epoch, epochs, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy, m.seconds))
        fflush(nil)
    }

    /// Ends the live line so the next output starts on a fresh one.
    func finishLine() {
        if lineOpen { print(""); lineOpen = false }
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
