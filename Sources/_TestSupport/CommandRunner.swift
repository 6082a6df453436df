import Foundation
import XCTest

/// Result of running a program: exit status and captured output.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments`, stdin from /dev/null, capturing stdout and stderr through
/// temporary files (no pipe-buffer deadlocks on large output).
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let folder = makeTemporaryDirectory("audioplane-process")
    defer { try? FileManager.default.removeItem(at: folder) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// The `audioplane` binary of the same build as the running tests (next to the test bundle), or
/// `AUDIOPLANE_BIN`. Throws `XCTSkip` naming the candidates when none is built.
public func audioplaneBinary() throws -> String {
    var candidates: [String] = []
    if let explicit = ProcessInfo.processInfo.environment["AUDIOPLANE_BIN"] { candidates.append(explicit) }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(dir.appendingPathComponent("audioplane").path)
        dir = dir.deletingLastPathComponent()
    }
    for path in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
    throw XCTSkip("audioplane binary not built (./run test builds it), tried \(candidates)")
}

/// Runs `audioplane` with `arguments`.
@discardableResult
public func runAudioplane(_ arguments: [String]) throws -> ProcessResult {
    try runProcess(try audioplaneBinary(), arguments)
}

/// Asserts exit status 1 and exactly one stderr line `audioplane: error: …` mentioning `words`.
public func assertOneLineError(_ result: ProcessResult, mentions words: String,
                               file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.status, 1, "stderr: \(result.stderr)", file: file, line: line)
    let lines = result.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, "stderr: \(result.stderr)", file: file, line: line)
    XCTAssertTrue(result.stderr.hasPrefix("audioplane: error: "), "stderr: \(result.stderr)", file: file, line: line)
    XCTAssertTrue(result.stderr.contains(words), "expected '\(words)' in: \(result.stderr)", file: file, line: line)
}
