import Foundation

/// Small hand-written SVG charts for the evaluation report.
public enum Charts {
    /// A DET curve (FNMR against FMR, both on log axes) with one line per series.
    public static func det(_ series: [(name: String, points: [OperatingPoint])], title: String,
                           xLabel: String = "false match rate (FMR)", yLabel: String = "false non-match rate (FNMR)") -> String {
        let w = 640.0, h = 480.0, left = 70.0, right = 20.0, top = 40.0, bottom = 60.0
        let xMin = -6.0, xMax = 0.0, yMin = -3.0, yMax = 0.0
        func x(_ v: Double) -> Double { left + (log10(max(v, 1e-6)) - xMin) / (xMax - xMin) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (yMax - log10(max(v, 1e-3))) / (yMax - yMin) * (h - top - bottom) }
        var s = svgHeader(w, h, title)
        for e in stride(from: xMin, through: xMax, by: 1) {
            let px = x(pow(10, e))
            s += line(px, top, px, h - bottom, "#ddd")
            s += text(px, h - bottom + 18, "1e\(Int(e))", anchor: "middle")
        }
        for e in stride(from: yMin, through: yMax, by: 1) {
            let py = y(pow(10, e))
            s += line(left, py, w - right, py, "#ddd")
            s += text(left - 6, py + 4, "1e\(Int(e))", anchor: "end")
        }
        s += text((left + w - right) / 2, h - 15, escape(xLabel), anchor: "middle")
        s += "<text x=\"18\" y=\"\((top + h - bottom) / 2)\" transform=\"rotate(-90 18 \((top + h - bottom) / 2))\" text-anchor=\"middle\" font-size=\"13\">\(escape(yLabel))</text>\n"
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        for (k, item) in series.enumerated() {
            let colour = colours[k % colours.count]
            let pts = item.points.filter { $0.fmr > 0 }.map { String(format: "%.1f,%.1f", x($0.fmr), y($0.fnmr)) }
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(pts.joined(separator: " "))\"/>\n"
            s += line(w - right - 200, top + 20 + Double(k) * 18, w - right - 180, top + 20 + Double(k) * 18, colour, width: 3)
            s += text(w - right - 175, top + 24 + Double(k) * 18, escape(item.name), anchor: "start")
        }
        return s + "</svg>\n"
    }

    /// Grouped bars: for each group, one bar per named rate (0-1 shown as percent).
    public static func bars(_ groups: [String], rates: [(name: String, values: [Double])], title: String) -> String {
        let w = max(640.0, 70.0 + Double(groups.count) * 70.0), h = 420.0
        let left = 60.0, bottom = 90.0, top = 50.0
        let peak = max(0.01, rates.flatMap(\.values).max() ?? 0.01)
        let scaleMax = (peak * 1.2 * 100).rounded(.up) / 100
        func y(_ v: Double) -> Double { top + (1 - v / scaleMax) * (h - top - bottom) }
        var s = svgHeader(w, h, title)
        for k in 0...4 {
            let v = scaleMax * Double(k) / 4
            s += line(left, y(v), w - 10, y(v), "#ddd")
            s += text(left - 6, y(v) + 4, String(format: "%.1f%%", v * 100), anchor: "end")
        }
        let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
        let slot = (w - left - 10) / Double(max(1, groups.count))
        let barWidth = slot * 0.8 / Double(max(1, rates.count))
        for (g, group) in groups.enumerated() {
            for (r, rate) in rates.enumerated() {
                let v = rate.values[g]
                let bx = left + Double(g) * slot + slot * 0.1 + Double(r) * barWidth
                s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>\n",
                            bx, y(v), barWidth, max(0, h - bottom - y(v)), colours[r % colours.count])
            }
            let cx = left + Double(g) * slot + slot / 2
            s += "<text x=\"\(cx)\" y=\"\(h - bottom + 14)\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 \(cx) \(h - bottom + 14))\">\(escape(group))</text>\n"
        }
        let legend = min(170, (w - left) / Double(max(1, rates.count)))
        for (r, rate) in rates.enumerated() {
            s += "<rect x=\"\(left + Double(r) * legend)\" y=\"\(top - 22)\" width=\"12\" height=\"12\" fill=\"\(colours[r % colours.count])\"/>\n"
            s += text(left + Double(r) * legend + 16, top - 12, escape(rate.name), anchor: "start")
        }
        return s + "</svg>\n"
    }

    static func svgHeader(_ w: Double, _ h: Double, _ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(w / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ colour: String, width: Double = 1) -> String {
        String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"%.1f\"/>\n", x1, y1, x2, y2, colour, width)
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String) -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"%@\">", x, y, anchor) + s + "</text>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}

extension Charts {
    /// Measured FMR against the FMR the threshold was set for, both on log axes, one line
    /// per group: a back-end that means the same for everyone keeps every line on the
    /// diagonal (drawn dashed, with the 2x band either side dotted).
    public static func fmrAgainstTarget(_ series: [(name: String, points: [(target: Double, measured: Double)])],
                                        title: String) -> String {
        let w = 720.0, h = 520.0, left = 70.0, right = 190.0, top = 40.0, bottom = 60.0
        let low = -6.0, high = 0.0
        func x(_ v: Double) -> Double { left + (log10(max(v, 1e-6)) - low) / (high - low) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (high - log10(max(v, 1e-6))) / (high - low) * (h - top - bottom) }
        var s = svgHeader(w, h, title)
        for e in stride(from: low, through: high, by: 1) {
            s += line(x(pow(10, e)), top, x(pow(10, e)), h - bottom, "#ddd")
            s += text(x(pow(10, e)), h - bottom + 18, "1e\(Int(e))", anchor: "middle")
            s += line(left, y(pow(10, e)), w - right, y(pow(10, e)), "#ddd")
            s += text(left - 6, y(pow(10, e)) + 4, "1e\(Int(e))", anchor: "end")
        }
        s += text((left + w - right) / 2, h - 15, "target FMR (threshold set on the training pairs)", anchor: "middle")
        s += "<text x=\"18\" y=\"\((top + h - bottom) / 2)\" transform=\"rotate(-90 18 \((top + h - bottom) / 2))\" text-anchor=\"middle\" font-size=\"13\">measured FMR in the group</text>\n"
        s += "<line x1=\"\(x(1e-6))\" y1=\"\(y(1e-6))\" x2=\"\(x(1))\" y2=\"\(y(1))\" stroke=\"#444\" stroke-dasharray=\"6 4\"/>\n"
        // The 2x band: measured = 2 x target and measured = target / 2.
        for (x1, y1, x2, y2) in [(1e-6, 2e-6, 0.5, 1.0), (1e-6, 0.5e-6, 1.0, 0.5)] {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"2 3\"/>\n",
                        x(x1), y(y1), x(x2), y(y2))
        }
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]
        for (k, item) in series.enumerated() {
            let colour = colours[k % colours.count]
            let pts = item.points.filter { $0.measured > 0 && $0.target > 0 }.map { String(format: "%.1f,%.1f", x($0.target), y($0.measured)) }
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(pts.joined(separator: " "))\"/>\n"
            s += line(w - right + 10, top + 10 + Double(k) * 18, w - right + 30, top + 10 + Double(k) * 18, colour, width: 3)
            s += text(w - right + 35, top + 14 + Double(k) * 18, escape(item.name), anchor: "start")
        }
        return s + "</svg>\n"
    }
}
