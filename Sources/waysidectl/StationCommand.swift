import ArgumentParser
import Foundation
import WaysideStation

/// `waysidectl station`: what a port station needs before its first shift.
struct StationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Set up a port check-in station.",
        subcommands: [SetPIN.self])

    struct SetPIN: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-pin",
            abstract: "Set the officer's PIN (4 to 8 digits), read from standard input.",
            discussion: """
            The station keeps a salted, stretched hash in <state-dir>/officer-pin, never the PIN. \
            Five wrong entries in a row lock the station for a minute, doubling with each further one.
            Example: waysidectl station set-pin --state-dir /var/lib/wayside < pin.txt
            """)

        @Option(help: "The station's data directory (the board profile's data_directory).")
        var stateDir: String

        func run() throws {
            guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
                throw ValidationError("give the PIN on standard input")
            }
            guard OfficerPIN.isWellFormed(line) else {
                throw ValidationError("a PIN is \(OfficerPIN.lengths.lowerBound) to \(OfficerPIN.lengths.upperBound) digits")
            }
            try OfficerPIN(pin: line).write(to: stateDir)
            print("officer PIN set in \(stateDir)/\(OfficerPIN.fileName)")
        }
    }
}
