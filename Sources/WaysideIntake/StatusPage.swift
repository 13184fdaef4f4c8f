import Foundation

/// The operator's status page: devices seen and today's appointments per port. It shows
/// device ids and counts only, never a name, code or A-Number.
enum StatusPage {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func render(summary: IntakeSummary, day: String, now: Date) -> String {
        let iso = ISO8601DateFormatter()
        var rows = ""
        for d in summary.devices {
            let seen = d.lastSeen.map { "\(Int(now.timeIntervalSince($0) / 60)) min ago" } ?? "never"
            rows += "<tr><td>\(escape(d.id))</td><td>\(escape(d.role))</td><td>\(seen)</td><td>\(d.submissions)</td></tr>\n"
        }
        var ports = ""
        for (port, n) in summary.appointmentsToday.sorted(by: { $0.key < $1.key }) {
            ports += "<tr><td>\(escape(port))</td><td>\(n)</td></tr>\n"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Wayside intake</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em}</style>
            </head><body>
            <h1>Wayside intake</h1>
            <p>As of \(iso.string(from: now)).</p>
            <h2>Devices</h2>
            <table id="devices"><tr><th>Device</th><th>Role</th><th>Last delivery</th><th>Submissions</th></tr>
            \(rows)</table>
            <h2>Appointments on \(escape(day))</h2>
            <table id="appointments"><tr><th>Port</th><th>Appointments</th></tr>
            \(ports)</table>
            </body></html>
            """
    }
}
