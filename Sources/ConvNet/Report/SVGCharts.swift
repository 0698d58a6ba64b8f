import Foundation

/// Charts drawn as SVG text (sharp at any zoom, no script, no network): line charts and heat maps
/// for `convnet report`.
enum SVG {
    /// Text safe inside XML/HTML.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A number short enough for an axis label.
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e4 || magnitude < 1e-3 { return String(format: "%.1e", v) }
        return String(format: magnitude >= 100 ? "%.0f" : magnitude >= 1 ? "%.3g" : "%.3g", v)
    }

    /// About `count` round tick values covering `low…high`: multiples of a round step (1, 2, 2.5
    /// or 5 times a power of ten). Each tick is computed from its index, never by adding the step
    /// to the last one (which stops moving when the step is below the values' precision), so the
    /// list always ends and holds at most `count` + 2 values. A range that is empty, not finite,
    /// or narrower than its values can resolve gives its ends alone.
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard low.isFinite, high.isFinite else { return [low, high].filter(\.isFinite) }
        guard high > low else { return [low] }
        // Halved so that the width of -1e308…1e308 does not overflow.
        let raw = (high / 2 - low / 2) / Double(count) * 2
        let power = pow(10, floor(log10(raw)))
        guard let step = [1.0, 2, 2.5, 5, 10].map({ $0 * power }).first(where: { $0 >= raw }), step.isNormal,
              let first = exactInteger((low / step).rounded(.up)), let last = exactInteger((high / step).rounded(.down)),
              first <= last, last - first <= count + 1 else { return [low, high] }
        let values = (first...last).map { Double($0) * step }
        // Ticks closer together than the values' precision would print as one number.
        return Set(values).count == values.count ? values : [low, high]
    }

    /// `x` as an Int when it is a whole number within ±2⁶², else nil.
    private static func exactInteger(_ x: Double) -> Int? {
        x.isFinite && abs(x) < 0x1p62 ? Int(x) : nil
    }

    /// A drawable range for values from `low` to `high` (either may be infinite or NaN, as an
    /// empty series' would be): finite, wider than its values' precision, and with a width that
    /// does not overflow, so that every value maps to a finite pixel.
    static func axis(_ low: Double, _ high: Double) -> ClosedRange<Double> {
        let limit = Double.greatestFiniteMagnitude / 4
        var (a, b) = (low.isNaN ? 0 : min(max(low, -limit), limit), high.isNaN ? 1 : min(max(high, -limit), limit))
        if b < a { (a, b) = (b, a) }
        // All equal (or a few ulps apart): widen around the value by a visible amount.
        let spread = max(abs(a), abs(b)) * 1e-9
        if b - a <= spread {
            let half = max(abs(a) * 0.05, 0.5)
            (a, b) = (a - half, b + half)
        }
        return a...b
    }

    /// Colours for series, distinguishable and readable on white.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf"]
}

/// A line chart: one polyline per series over shared axes, with a legend.
struct LineChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    /// Fixed y range (e.g. 0…100 for percentages); otherwise the data's.
    var yRange: ClosedRange<Double>? = nil
    /// Fixed x range (e.g. 0…1 for ROC curves); otherwise the data's.
    var xRange: ClosedRange<Double>? = nil
    var width = 520.0, height = 320.0
    /// Draw points as steps (PR curves) instead of straight segments.
    var steps = false
    /// Where the legend goes, inside the plot: away from where the curves run.
    var legend = Corner.topRight

    enum Corner { case topRight, bottomRight, bottomLeft }

    var svg: String {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let (left, right, top, bottom) = (58.0, 16.0, 30.0, 44.0)
        let xs = SVG.axis(xRange?.lowerBound ?? finite.map(\.x).min() ?? 0, xRange?.upperBound ?? finite.map(\.x).max() ?? 1)
        var ys = SVG.axis(yRange?.lowerBound ?? finite.map(\.y).min() ?? 0, yRange?.upperBound ?? finite.map(\.y).max() ?? 1)
        if yRange == nil { let pad = (ys.upperBound / 2 - ys.lowerBound / 2) * 0.1; ys = SVG.axis(ys.lowerBound - pad, ys.upperBound + pad) }
        let (x0, x1, y0, y1) = (xs.lowerBound, xs.upperBound, ys.lowerBound, ys.upperBound)
        let plotW = width - left - right, plotH = height - top - bottom
        // Halved: the width of a range near ±1e308 would overflow; points outside it are clamped.
        func fraction(_ v: Double, _ a: Double, _ b: Double) -> Double { min(max((v / 2 - a / 2) / (b / 2 - a / 2), -0.1), 1.1) }
        func px(_ x: Double) -> Double { left + fraction(x, x0, x1) * plotW }
        func py(_ y: Double) -> Double { top + (1 - fraction(y, y0, y1)) * plotH }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(SVG.escape(title))\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        out += "<text x=\"\(Int(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"title\">\(SVG.escape(title))</text>"
        for t in SVG.ticks(x0, x1) {
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", px(t), top, px(t), top + plotH)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", px(t), top + plotH + 16, SVG.label(t))
        }
        for t in SVG.ticks(y0, y1) {
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, py(t), left + plotW, py(t))
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>", left - 6, py(t) + 4, SVG.label(t))
        }
        out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>", left, top, plotW, plotH)
        out += "<text x=\"\(Int(left + plotW / 2))\" y=\"\(Int(height - 6))\" text-anchor=\"middle\" class=\"axis\">\(SVG.escape(xLabel))</text>"
        out += "<text transform=\"translate(14 \(Int(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(SVG.escape(yLabel))</text>"
        for (i, s) in series.enumerated() {
            let color = SVG.palette[i % SVG.palette.count]
            var path = ""
            var previous: (x: Double, y: Double)?
            var lastDrawn: (x: Double, y: Double)?
            let finitePoints = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            for (k, p) in finitePoints.enumerated() {
                // Points less than half a pixel from the last drawn one add nothing at this size
                // (a ROC curve of 10,000 images has thousands); the last point is always drawn.
                let (x, y) = (px(p.x), py(p.y))
                if let d = lastDrawn, abs(x - d.x) < 0.5, abs(y - d.y) < 0.5, k < finitePoints.count - 1 { previous = p; continue }
                if let q = previous, steps { path += String(format: " %.1f,%.1f", x, py(q.y)) }
                path += String(format: " %.1f,%.1f", x, y)
                (previous, lastDrawn) = (p, (x, y))
            }
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            if s.points.count == 1, let p = s.points.first {
                out += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%@\"/>", px(p.x), py(p.y), color)
            }
        }
        // Legend inside the plot, on a white box.
        let legendWidth = 12 + 6.5 * Double(series.map(\.name.count).max() ?? 0) + 24
        let legendHeight = 16 * Double(series.count) + 6
        let legendX = legend == .bottomLeft ? left + 8 : left + plotW - legendWidth
        let legendY = legend == .topRight ? top + 4 : top + plotH - legendHeight - 4
        out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" fill-opacity=\"0.85\"/>",
                      legendX - 4, legendY, legendWidth, legendHeight)
        for (i, s) in series.enumerated() {
            let y = legendY + 14 + Double(i) * 16, x = legendX
            let color = SVG.palette[i % SVG.palette.count]
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>", x, y - 4, x + 18, y - 4, color,
                          s.dashed ? " stroke-dasharray=\"6 4\"" : "")
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%@</text>", x + 24, y, SVG.escape(s.name))
        }
        return out + "</svg>"
    }
}

/// A confusion matrix as coloured cells (each row scaled to its own total), rows = true class:
/// as SVG with the counts written in the cells when there is room (``svg``, for up to
/// ``ClassificationMetrics/detailedClassLimit`` classes), or as one PNG image of at most
/// ``maximumImageSide`` pixels a side (``image``, for any number of classes).
struct HeatMap {
    var title: String
    var rowLabel: String, columnLabel: String
    var labels: [String]
    var confusion: ConfusionMatrix

    /// The image's largest side: beyond, each pixel stands for a square block of classes.
    static let maximumImageSide = 1000

    /// White → dark blue with a share of the row.
    static func colour(_ share: Double) -> (Int, Int, Int) {
        let s = min(max(share.isNaN ? 0 : share, 0), 1)
        return (Int(255 - s * 222), Int(255 - s * 175), Int(255 - s * 75))
    }

    var svg: String {
        let n = labels.count
        let cell = n <= 12 ? 34.0 : max(8, 420 / Double(n))
        let longest = Double(min(labels.map(\.count).max() ?? 1, 16))
        let margin = 24 + 7 * longest
        // Column labels upright when short and few, else slanted (they then need the margin's height).
        let slanted = n > 12 || longest > 4
        let top = 44 + (slanted ? margin * 0.87 : 16)
        let (width, height) = (margin + cell * Double(n) + 10, top + cell * Double(n) + 10)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(SVG.escape(title))\">"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        out += "<text x=\"\(Int(width / 2))\" y=\"16\" text-anchor=\"middle\" class=\"title\">\(SVG.escape(title))</text>"
        out += "<text x=\"\(Int(width / 2))\" y=\"34\" text-anchor=\"middle\" class=\"axis\">rows: \(SVG.escape(rowLabel)), columns: \(SVG.escape(columnLabel))</text>"
        for t in 0..<confusion.classes {
            let total = max(confusion.support(t), 1)
            for p in 0..<confusion.classes {
                let count = confusion.count(label: t, prediction: p)
                let share = Double(count) / Double(total)
                let (r, g, b) = Self.colour(share)
                out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\"><title>true %@, predicted %@: %d</title></rect>",
                              margin + Double(p) * cell, top + Double(t) * cell, cell, cell, r, g, b,
                              SVG.escape(labels[t]), SVG.escape(labels[p]), count)
                if n <= 12 && count > 0 {
                    out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"cell\" fill=\"%@\">%d</text>",
                                  margin + (Double(p) + 0.5) * cell, top + (Double(t) + 0.5) * cell + 4, share > 0.5 ? "#fff" : "#222", count)
                }
            }
        }
        if n <= 40 {
            for (i, name) in labels.enumerated() {
                let short = SVG.escape(String(name.prefix(16)))
                out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>", margin - 4, top + (Double(i) + 0.5) * cell + 4, short)
                out += slanted
                    ? String(format: "<text transform=\"translate(%.1f %.1f) rotate(-60)\" class=\"tick\">%@</text>", margin + (Double(i) + 0.5) * cell, top - 4, short)
                    : String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", margin + (Double(i) + 0.5) * cell, top - 5, short)
            }
        }
        return out + "</svg>"
    }

    /// The matrix as one PNG (a data-URI `<img>` with a caption): a pixel per cell up to
    /// ``maximumImageSide`` classes, else per block of ⌈classes / side⌉² cells, coloured by the
    /// block's share of its rows' images. Built from the non-zero cells: O(samples + pixels).
    var image: String {
        get throws {
            let n = confusion.classes
            let block = (n + Self.maximumImageSide - 1) / Self.maximumImageSide, side = (n + block - 1) / block
            var counts = [Int](repeating: 0, count: side * side), rowTotals = [Int](repeating: 0, count: side)
            for t in 0..<n { rowTotals[t / block] += confusion.support(t) }
            for cell in confusion.nonZeroCells { counts[(cell.label / block) * side + cell.prediction / block] += cell.count }
            var pixels = [UInt8](repeating: 255, count: side * side * 3)
            for (i, count) in counts.enumerated() where count > 0 {
                let (r, g, b) = Self.colour(Double(count) / Double(max(rowTotals[i / side], 1)))
                (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) = (UInt8(r), UInt8(g), UInt8(b))
            }
            let picture = try Image(width: side, height: side, channels: 3, pixels: pixels)
            let shown = max(side, 400)
            let scale = block == 1 ? "one pixel per cell" : "one pixel per block of \(block)×\(block) classes"
            return "<figure><img src=\"\(try ReportImages.dataURI(picture))\" width=\"\(shown)\" height=\"\(shown)\" alt=\"\(SVG.escape(title))\">"
                + "<figcaption>\(SVG.escape(title)): \(n) classes, \(scale) (rows: \(SVG.escape(rowLabel)), columns: \(SVG.escape(columnLabel)); darker = a larger share of the row's images)</figcaption></figure>"
        }
    }
}
