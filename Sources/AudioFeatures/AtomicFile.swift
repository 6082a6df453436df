import Foundation

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file in the
/// destination's folder, which is then renamed over the destination (rename(2) is atomic on one
/// file system).
public enum AtomicFile {
    /// `description` is one line naming the file.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): cannot write file: \(reason)" }
    }

    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Error(path: url.path, reason: "folder \(folder.path) does not exist")
        }
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temp.path, contents: data) else {
            throw Error(path: url.path, reason: "cannot create a file in \(folder.path)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw Error(path: url.path, reason: reason)
        }
    }
}
