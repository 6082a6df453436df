import Foundation

/// Finding and running command-line tools (ffmpeg, ffprobe) — the DataIO side of "video in/out
/// through ffmpeg" (DESIGN.md §2). Conventions, as `AudioFeatures.FFmpegDecoder`: tools are looked up
/// on `PATH` then /usr/bin, /usr/local/bin; stdin is /dev/null unless we stream into it; stderr is
/// drained on another thread so no pipe can fill up and stall the tool; file names are passed as
/// `file:PATH` so a name with a colon is never taken for a protocol.
public enum ExternalTool {
    /// Full path of an executable named `name` on `PATH` (or in /usr/bin, /usr/local/bin), nil if
    /// none. A name containing "/" is taken as a path and returned when it is executable.
    public static func find(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for folder in folders {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The outcome of a finished run: exit status, all of stdout, stderr as text.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
    }

    /// Runs `executable` with `arguments` to completion (stdin /dev/null), capturing both outputs.
    public static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = FileHandle.nullDevice
        let stderr = StderrCollector(process)
        do { try process.run() } catch { stderr.abandon(); throw error }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: output, stderr: stderr.text())
    }

    /// The last non-empty line of a tool's stderr (ffmpeg prints the decisive error last), with the
    /// `file:` prefix it repeats removed; "no message" when there is none.
    public static func lastLine(_ stderr: String) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard var line = lines.last(where: { !$0.isEmpty }) else { return "no message" }
        if line.hasPrefix("file:") { line.removeFirst(5) }
        return line
    }
}

/// Reads a process's stderr on a background thread into memory (keeping at most the last
/// `limit` bytes). Attach before `Process.run()`; `text()` waits for the end of the stream.
final class StderrCollector: @unchecked Sendable {
    private let pipe = Pipe()
    private let group = DispatchGroup()
    private var data = Data()  // written on the reader thread; the group wait orders the read

    init(_ process: Process, limit: Int = 64 << 10) {
        process.standardError = pipe
        let handle = pipe.fileHandleForReading
        group.enter()
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
                if data.count > 2 * limit { data = data.suffix(limit) }
            }
            group.leave()
        }
    }

    /// Ends the reader when the process never started (closes the pipe's write end).
    func abandon() { try? pipe.fileHandleForWriting.close() }

    /// All (or the last `limit` bytes of) stderr, once the process has closed it.
    func text() -> String {
        group.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
